// Package mailer owns SMTP sending: relay configuration (ParseRelay), a pool of reused go-mail
// connections per relay (Pool, Conn), building a campaign message with its unsubscribe
// headers and DKIM signature (Build, NewDKIMSigner, NewMessageID), and telling what an SMTP
// failure means for the recipient (Classify).
//
// It must not decide what to do about a failure (retry, suppress, pause): it reports the Kind
// and the caller decides. It knows nothing of campaigns, the ledger, suppression or rate
// limits across processes: Relay.Rate is configuration the caller's shared throttle reads; the
// pool does not enforce it. Passwords and DKIM keys never appear in its errors or logs.
package mailer
