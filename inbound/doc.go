// Package inbound receives the mail that comes back to Kirje — bounces, feedback-loop complaints
// and mailto: unsubscribes — and turns it into events, suppressions and opt-outs in real time.
//
// A Processor runs the pipeline for one message: package dsn parses and classifies it per
// recipient; the message is matched to the exact send (the VERP return-path token of the
// envelope recipient; else the tokens, Message-ID and X-Kirje-Campaign of the returned message's
// headers; else the recipient address); and the verdict takes effect:
//
//	hard         bounce event; the address is suppressed (reason bounce)
//	soft         soft_bounce event; suppressed (reason bounce) once SoftBounceLimit soft bounces
//	             of the address fall within SoftBounceWindow
//	block        block event against the campaign's brand; nothing is suppressed
//	delayed      delayed event only
//	complaint    complaint event; suppressed for all marketing (reason complaint) and the
//	             register's direct-marketing ban recorded, like an unsubscribe
//	unsubscribe  (mail to u+TOKEN@) optout.Service.Unsubscribe, Source "mailto", as one-click
//	unclassified unclassified event only; never suppressed
//
// Every outcome is an event with the status code and diagnostic text, written with a dedupe key
// (the report's Message-ID, or its SHA-256 when it has none, plus the recipient), in the same
// transaction as its effects: processing a message twice records nothing twice. Mail that cannot
// be read, or that names no known send, is kept in the inbound_quarantine table (capped) for a
// person to look at; mail that names no send records no event (there is nothing to attach it
// to, and anyone may write to postmaster@).
//
// The send ledger is not changed: a row records what the relay said during the SMTP transaction
// ('sent'), and a later bounce of the same message is a fact about the address, recorded as an
// event. Reports count bounces from events; rewriting a 'sent' row would lose that the relay had
// accepted it, and the ledger's writers only ever move rows out of 'sending'.
//
// A Listener is the SMTP server (emersion/go-smtp) for the bounce and unsubscribe domain. It
// accepts only addresses it owns (b+TOKEN@ and u+TOKEN@ with a valid token, postmaster@ and
// configured feedback-loop mailboxes), never relays, limits message size, connections and time,
// answers 451 when the database cannot take a message (the sender retries), keeps malformed mail
// and answers 250, and survives a panic in the pipeline (the message is quarantined).
//
// This package does not send mail and does not decide sends: the suppression list does.
package inbound
