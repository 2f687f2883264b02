// Package api is Kirje's REST API under /api/v1: the register, segments, campaigns, the
// suppression list, data subjects' requests (export, objection, erasure, tracking choices), users
// with their tokens, and the audit log, as JSON over HTTP for staff and scripts (the same
// operations as the admin commands).
//
// It owns the HTTP edge and nothing behind it:
//   - Every route is declared once, in the route table (routes.go), with the permission it
//     requires and the audit action it records. Registration refuses a route without a
//     permission, so no route is reachable without a decision about who may call it.
//   - Every request carries "Authorization: Bearer kirje_…" (package access): missing or
//     invalid is 401 with WWW-Authenticate, a role without the route's permission is 403.
//   - Domain errors become statuses in one table (errors.go): not found 404, malformed request
//     400, rule broken 422, conflict or wrong status 409, suppression list unavailable 503,
//     body too large 413; anything else 500 with a generic message, the error itself only in
//     the log. Bodies are size-limited and unknown JSON fields are refused.
//   - Every write names the calling user as its actor, and every route with an audit action writes
//     an entry to the audit log (package access) when it succeeds — in the change's transaction
//     where the change is the API's or package privacy's own, otherwise before the answer goes
//     out; if the entry cannot be written the answer is 500 (audit.go). Token sign-ins are
//     recorded by access.AuthenticateFrom, once per token per day.
//   - Every answer carries no-store, nosniff, a deny-all Content-Security-Policy, no-referrer
//     and X-Frame-Options: DENY.
//
// Queue work after a committed change (a scheduled or resumed campaign) and test sends go
// through the Scheduler and TestSender interfaces defined here; cmd/kirje wires the worker's
// implementations.
//
// It must not hold business rules (validation, state transitions and suppression decisions are
// the domain packages'), write SQL of its own, or expose secrets (DKIM keys, token hashes).
package api
