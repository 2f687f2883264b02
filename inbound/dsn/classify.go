package dsn

import (
	"fmt"
	"strings"
)

// Classify gives the verdict for one recipient from its DSN fields: the Action ("failed",
// "delayed"…; "" for a bounce that has none), the Status (an RFC 3463 code, possibly "") and the
// Diagnostic-Code or diagnostic text. It also names the rule that decided, for the record
// (e.g. "code-5.1.x", "text-user-unknown", "action-delayed").
func Classify(action, status, diagnostic string) (Verdict, string) {
	v, rule, _ := classify(action, status, diagnostic)
	return v, rule
}

// classify is Classify that also returns the code it went by (zero when none).
func classify(action, status, diagnostic string) (Verdict, string, Code) {
	code, ok := codeFor(status, diagnostic)
	switch a := strings.ToLower(strings.TrimSpace(action)); a {
	case "delayed":
		return Delayed, "action-delayed", code
	case "delivered", "relayed", "expanded":
		return Unclassified, "action-" + a, code
	}
	if !ok {
		// No code at all: only the text can say; unknown stays unclassified.
		v, rule := byText(diagnostic, Unclassified)
		return v, rule, code
	}
	var (
		v    Verdict
		rule string
	)
	switch code.Class {
	case 2:
		v, rule = Unclassified, "code-2.x.x"
	case 4:
		v, rule = classifyTransient(code, diagnostic)
	default:
		v, rule = classifyPermanent(code, diagnostic)
	}
	return v, rule, code
}

// classifyTransient: a 4.x.x that ended a delivery (Action failed, or a text bounce) is soft,
// unless it is the receiver deferring the sender (4.7.x, or a policy text): a brand kept
// waiting for its reputation must not lose valid addresses to soft-bounce counting.
func classifyTransient(code Code, diagnostic string) (Verdict, string) {
	if code.Subject == 7 {
		return Block, "code-4.7.x"
	}
	if v, name := byText(diagnostic, Soft, Block); v == Block {
		return v, name
	}
	return Soft, fmt.Sprintf("code-4.%d.x", code.Subject)
}

// classifyPermanent decides a 5.x.x by its subject, and by the text where the subject does not.
func classifyPermanent(code Code, diagnostic string) (Verdict, string) {
	name := fmt.Sprintf("code-5.%d.%d", code.Subject, code.Detail)
	switch code.Subject {
	case 1:
		switch code.Detail {
		case 5: // destination address valid
			return Unclassified, name
		case 7, 8: // the sender's address is bad: the message, not the recipient
			return Block, name
		}
		return Hard, "code-5.1.x"
	case 2:
		switch code.Detail {
		case 1: // mailbox disabled
			return Hard, name
		case 2: // mailbox full
			return Soft, name
		case 3: // message longer than the mailbox accepts
			return Block, name
		case 4: // mailing list expansion problem
			return Unclassified, name
		}
		return byText(diagnostic, Soft)
	case 3:
		if code.Detail == 4 { // message too big for the system
			return Block, name
		}
		return byText(diagnostic, Unclassified)
	case 4:
		switch code.Detail {
		case 4: // unable to route: the domain does not exist or has no mail server
			return Hard, name
		case 1: // Microsoft 365 uses it for unknown recipients; elsewhere "no answer"
			return byText(diagnostic, Soft)
		}
		return byText(diagnostic, Soft, Hard, Soft)
	case 6:
		return Block, "code-5.6.x"
	case 7:
		return Block, "code-5.7.x"
	}
	// 5.0.x, 5.5.x and unknown subjects say nothing about the address: the text decides.
	return byText(diagnostic, Unclassified)
}

// ClassifyFeedback gives the verdict for an RFC 5965 Feedback-Type: abuse, fraud, virus and
// other are complaints; not-spam, auth-failure (DMARC/DKIM failure reports) and unknown types
// are not.
func ClassifyFeedback(feedbackType string) (Verdict, string) {
	t := strings.ToLower(strings.TrimSpace(feedbackType))
	switch t {
	case "abuse", "fraud", "virus", "other":
		return Complaint, "arf-" + t
	case "":
		return Unclassified, "arf-no-type"
	}
	return Unclassified, "arf-" + clean(t, 32)
}
