// Package webhook pushes the event feed to subscribed endpoints as signed HTTP POSTs, per the
// Standard Webhooks specification (standardwebhooks.com).
//
// # Subscriptions
//
// A Subscription is an endpoint URL (HTTPS; plain HTTP only to loopback, and only when the Policy
// allows it), the event types it wants (none means all) and a signing secret Kirje generates and
// shows once ("whsec_" + base64 of 32 random bytes). Each subscription keeps its own cursor in
// the feed (package feed), in PostgreSQL. A new subscription starts at the feed's head: it gets
// what happens from now on.
//
// # Deliveries
//
// The pump (TypePump, periodic on the worker's background queue) moves each active
// subscription's new events into deliveries: up to BatchSize events per POST, in feed order, with
// the cursor advanced in the same transaction. A delivery's body is
//
//	{"type": "kirje.events", "timestamp": "2026-03-02T10:00:00Z", "data": [EVENT, …]}
//
// with each EVENT exactly as GET /api/v1/events serves it (its "cursor" and "id" let a receiver
// de-duplicate per event too). The body is stored, so every attempt sends the same bytes under
// the same webhook-id; webhook-timestamp is the attempt's time and webhook-signature is
// "v1," + base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body)). Delivery is
// at-least-once: receivers de-duplicate on webhook-id.
//
// A deliverer (TypeDeliver, one task per subscription with a deterministic ID) holds the
// subscription's lease and sends its oldest pending delivery, then the next: a subscription's
// deliveries arrive in order, one at a time. A 2xx answer delivers; anything else (including
// redirects, which are not followed, and the Timeout) schedules a retry with exponential backoff
// (FirstRetry doubling up to MaxRetryDelay). When a delivery has failed for RetryWindow (24 h by
// default: a register that is down for the night still gets everything) the subscription is
// disabled with the reason; its cursor and pending deliveries stay, and Enable resumes where it
// stopped. Each subscription has its own tasks and lease, and POSTs have a short timeout, so a
// slow or failing endpoint only delays itself; the worker's background concurrency bounds how
// many endpoints are called at once. The pump also re-enqueues due deliveries whose task went
// missing, so a lost enqueue delays a delivery by one pump period at most.
//
// # Server-side request forgery
//
// URLs are checked when added, and every connection is checked again when it is made (after DNS
// resolution, so a name that later resolves elsewhere is caught): loopback, private, link-local
// (cloud metadata), CGNAT, multicast and reserved addresses are refused unless the Policy allows
// them. No proxy from the environment is used.
//
// This package must not change events or the register; it reads the feed and its own tables.
package webhook
