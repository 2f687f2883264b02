// Package dsn reads returned mail and says, per recipient, what it means for the address: RFC 3464
// delivery status notifications (multipart/report; report-type=delivery-status), RFC 5965 abuse
// feedback reports (report-type=feedback-report), and the non-standard bounces many MTAs still
// send as plain text (qmail, older Exchange and Exim, Gmail's text part), classified from their
// diagnostic text with a small rule set.
//
// # Verdicts
//
// Every recipient gets one Verdict:
//   - Hard: the address does not work (RFC 3463 X.1.x such as 5.1.1, 5.1.10; 5.2.1 disabled;
//     5.4.4 no such domain; unmistakable "user unknown" texts). Callers suppress it.
//   - Soft: the mailbox may work later (4.x.x, 5.2.2 mailbox full, expired retries). Callers
//     suppress only after repeated soft bounces.
//   - Block: refused because of the sender or the message, not the address (X.7.x policy, spam,
//     block lists, DMARC; 5.2.3 and 5.3.4 too large; 5.6.x content; 5.1.7/5.1.8 sender address;
//     4.7.x reputation deferrals). Never a reason to suppress the address: treating every 5.x.x
//     as hard suppresses valid B2B addresses.
//   - Delayed: Action: delayed; still being retried.
//   - Complaint: an abuse/fraud/virus/other feedback report.
//   - Unclassified: anything else (success notices, auto-replies, auth-failure reports, unknown
//     texts). Never suppressed.
//
// Unsubscribe is a verdict callers give mail sent to a mailto: unsubscribe address; this package
// never returns it, because only the envelope says where a message was sent.
//
// # What it does not do
//
// No I/O, no database, no token verification: it returns candidate tokens and the returned
// message's headers, and the caller decides what they match. Parse never panics on any input
// (fuzzed), bounds its work (Limits), and every string it returns is valid UTF-8 without control
// characters and of bounded length, so it can go into the database as it is.
package dsn
