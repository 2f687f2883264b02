package dsn

import "errors"

// ErrMalformed is returned (wrapped) when a message cannot be read as mail at all, or exceeds
// Limits: callers keep such messages for inspection rather than guess.
var ErrMalformed = errors.New("dsn: malformed message")

// Kind says what sort of message a Report was read from.
type Kind string

// Kinds of inbound message.
const (
	KindDSN      Kind = "dsn"      // RFC 3464 delivery status notification
	KindFeedback Kind = "feedback" // RFC 5965 feedback report (ARF)
	KindText     Kind = "text"     // a bounce without a DSN part, read from its text
	KindOther    Kind = "other"    // not a bounce or report: a reply, an auto-reply, a person
)

// Report is what a returned message says. Every string is cleaned (valid UTF-8, no control
// characters, bounded length); addresses are lower-case and without angle brackets.
type Report struct {
	Kind Kind
	// MessageID is the report's own Message-ID, without angle brackets ("" when it has none).
	MessageID string
	From      string // the From header's address
	Subject   string
	// To holds the addresses the report names as its recipients (X-Original-To, Delivered-To,
	// To, Cc), so a saved message can be matched to a VERP or mailto address without its envelope.
	To           []string
	ReportingMTA string
	// Recipients are the per-recipient results; a bounce that names nobody (or an ARF report
	// with the recipient redacted) has one with an empty Address.
	Recipients []Recipient
	// Feedback holds the RFC 5965 fields of a feedback report (nil otherwise).
	Feedback *Feedback
	// Original is what the report shows of the message it is about.
	Original Original
	// Forwarded says the report arrived as an attachment of another message, and was read from
	// there (see Parse); MessageID and From are then the attached report's.
	Forwarded bool
}

// Recipient is the result for one recipient of the original message.
type Recipient struct {
	Address         string // Final-Recipient, Original-Rcpt-To, or the address found in the text
	OriginalAddress string // Original-Recipient, when given
	Action          string // failed, delayed, delivered, relayed, expanded ("" in text bounces)
	Status          string // the RFC 3463 code that decided ("5.1.1"), "" when none
	Diagnostic      string // Diagnostic-Code or the relevant line of the text
	RemoteMTA       string
	Verdict         Verdict
	Rule            string // the rule that decided the verdict
}

// Feedback is the machine-readable part of an ARF report.
type Feedback struct {
	Type             string // abuse, fraud, virus, other, not-spam, auth-failure…
	UserAgent        string
	Version          string
	OriginalMailFrom string
	OriginalRcptTo   []string
	ArrivalDate      string
	SourceIP         string
	ReportedDomain   string
}

// Original is what a report shows of the returned message: some of its headers, and candidate
// Kirje tokens found in it (unverified; the caller verifies them).
type Original struct {
	MessageID  string // without angle brackets
	Campaign   string // X-Kirje-Campaign
	To         string
	Subject    string
	FeedbackID string
	// ReturnPath, Mailto and Unsubscribe are address-form VERP tokens (b+TOKEN@), address-form
	// mailto tokens (u+TOKEN@) and URL-form unsubscribe tokens (/u/TOKEN), in order of appearance.
	ReturnPath  []string
	Mailto      []string
	Unsubscribe []string
}

// Limits bound the work Parse does on one message.
type Limits struct {
	MaxDepth      int // nesting of multipart bodies (default 6)
	MaxParts      int // MIME parts in all (default 100)
	MaxRecipients int // recipients kept from one report (default 100)
	MaxText       int // bytes of human-readable text read for classification (default 64 KiB)
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = 6
	}
	if l.MaxParts <= 0 {
		l.MaxParts = 100
	}
	if l.MaxRecipients <= 0 {
		l.MaxRecipients = 100
	}
	if l.MaxText <= 0 {
		l.MaxText = 64 << 10
	}
	return l
}
