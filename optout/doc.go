// Package optout records a person's choice not to receive marketing: the suppression entry that
// stops every later send, the register's direct-marketing ban, and the unsubscribe event, in one
// transaction that is committed before the caller answers the person. It also undoes a mistaken
// unsubscribe, recording the person's consent.
//
// Every path to an opt-out goes through here: the unsubscribe page, RFC 8058 one-click POSTs,
// mailto unsubscribes, and staff recording an objection. It decides nothing about sending; the
// suppression list does.
package optout
