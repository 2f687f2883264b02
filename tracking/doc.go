// Package tracking serves the links in Kirje's messages: the open pixel (/o/TOKEN), tracked
// links (/c/TOKEN) and the unsubscribe URL (/u/TOKEN: the page on GET, RFC 8058 one-click or the
// page's form on POST). Tokens are verified in memory (package token); a forged, truncated or
// altered token gets 404 and records nothing.
//
// It owns the HTTP side and the machine-traffic verdict; it does not own storage. It records
// opens and clicks through a Recorder and commits opt-outs through Optouts, interfaces it defines
// and cmd/kirje wires (events.Recorder; the optout service over the suppression list). Unsubscribe
// and resubscribe events are the Optouts implementation's to record, in the same commit as the
// suppression change.
//
// Guarantees:
//   - A 200 pixel or a 302 redirect is sent only after Record returned nil: every acknowledged
//     event is durable. If Record fails, the pixel is still served but with status 503, and a
//     click gets a 503 page linking to the same stored target, so the reader is not stranded.
//   - A click redirects only to the URL stored for the token's (campaign, link); nothing in the
//     request chooses the target, and paths that are not clean get 404, not a redirect.
//   - GET and HEAD never change state. An opt-out is committed before its response is written;
//     if the commit fails, the answer is 503 and nothing claims success.
//   - A POST to /u/{token} unsubscribes only with the RFC 8058 field List-Unsubscribe=One-Click
//     (form-urlencoded or multipart, or that exact text as the body under any content type) or
//     the page's own form. An empty POST is refused with 400: the RFC requires the field, and
//     accepting empty bodies would let any link prober that POSTs unsubscribe people.
//
// Machine traffic: every open and click is recorded; its event carries the signals found and
// Machine = true when any strong one is present (see the Signal constants and Classify). Burst
// and near-honeypot detection keep a small bounded history per (campaign, contact) in this
// process only: behind a load balancer each process sees only its share of a burst. Aggregate
// tokens (contact 0) are shared by all recipients and get no history. Clicks recorded before the
// burst or honeypot hit that exposes a scanner cannot be changed (events are append-only);
// reports can discount them by time, as the signals are stored.
//
// Limits: with Config.RateLimits set, opens and clicks are limited per client network, page
// views per client network, and unsubscribe POSTs per person (never per network: mailbox
// providers send everyone's one-click POSTs from a few addresses); over a limit the answer is 429
// with Retry-After and nothing is recorded or changed. A failing or slow limiter lets requests
// through (see RateLimits). Every request's work is bounded by Config.RequestTimeout, except
// bodyless opens and clicks, which the Recorder bounds (it must return in bounded time by
// itself) and, for a click's first lookup of a link, the link cache's own timeout; POST bodies
// by 16 KiB. Pages carry a hash-pinned CSP, X-Frame-Options, nosniff and no-referrer, as do
// redirects and errors; the open pixel carries only its content type and Cache-Control: no-store.
// Error answers say nothing of their cause.
//
// It must not touch the database or Redis itself (the limiter and recorder are interfaces),
// import the suppression or campaign packages, or redirect anywhere a request names.
package tracking
