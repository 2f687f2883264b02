package inbound

import "github.com/kirje/kirje/inbound/dsn"

// What a Processor did for an outcome (Outcome.Effect).
const (
	EffectRecorded     = "recorded"          // the event only (block, delayed, unclassified, a soft bounce below the limit)
	EffectSuppressed   = "suppressed"        // the address is on the suppression list (it may have been already)
	EffectBanned       = "suppressed+banned" // complaint: suppressed and the register's ban recorded
	EffectUnsubscribed = "unsubscribed"      // mailto: the opt-out is committed
	EffectDuplicate    = "duplicate"         // this message was processed before; nothing recorded again
	EffectErased       = "erased"            // the contact was erased; its hashed suppression stays
)

// Match methods (Outcome.Match): how a recipient was tied to a send.
const (
	MatchVERP      = "verp"       // the envelope recipient b+TOKEN@
	MatchMailto    = "mailto"     // the envelope recipient u+TOKEN@
	MatchToken     = "token"      // a token in the returned message (List-Unsubscribe, Return-Path)
	MatchMessageID = "message-id" // the returned message's Message-ID in the send ledger
	MatchAddress   = "address"    // the recipient's address in the register
)

// Outcome is the verdict for one recipient of one inbound message and what was done about it.
type Outcome struct {
	Recipient  string      `json:"recipient,omitempty"` // the address the report names ("" when redacted or absent)
	Verdict    dsn.Verdict `json:"verdict"`
	Status     string      `json:"status,omitempty"`
	Action     string      `json:"action,omitempty"`
	Diagnostic string      `json:"diagnostic,omitempty"`
	RemoteMTA  string      `json:"remote_mta,omitempty"`
	Rule       string      `json:"rule"`
	Match      string      `json:"match,omitempty"` // a Match* constant; "" when no send matched
	CampaignID int64       `json:"campaign_id,omitempty"`
	ContactID  int64       `json:"contact_id,omitempty"`
	BrandID    int64       `json:"brand_id,omitempty"`
	// SoftBounces is, for a soft bounce of a known address, how many fall within the window.
	SoftBounces int    `json:"soft_bounces,omitempty"`
	Effect      string `json:"effect,omitempty"` // an Effect* constant; "" in a dry run or when unmatched
}

// Result is what one inbound message said and what was done.
type Result struct {
	Kind      dsn.Kind  `json:"kind"`
	Forwarded bool      `json:"forwarded,omitempty"` // the report was read from an attachment (dsn.Report.Forwarded)
	MessageID string    `json:"message_id,omitempty"`
	Outcomes  []Outcome `json:"outcomes"`
	// Malformed says why the message could not be read ("" when it could).
	Malformed string `json:"malformed,omitempty"`
	// Quarantined is the reason the message was kept for inspection ("" when it was not).
	Quarantined string `json:"quarantined,omitempty"`
}
