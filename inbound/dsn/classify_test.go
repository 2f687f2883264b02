package dsn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kirje/kirje/inbound/dsn"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                       string
		action, status, diagnostic string
		want                       dsn.Verdict
	}{
		{"no such mailbox", "failed", "5.1.1", "550 5.1.1 user unknown", dsn.Hard},
		{"microsoft recipient not found", "failed", "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound", dsn.Hard},
		{"bad domain", "failed", "5.1.2", "Host unknown", dsn.Hard},
		{"mailbox disabled", "failed", "5.2.1", "The email account that you tried to reach is disabled", dsn.Hard},
		{"no route to domain", "failed", "5.4.4", "Host or domain name not found", dsn.Hard},
		{"mailbox full is soft even when permanent", "failed", "5.2.2", "552 5.2.2 Mailbox full", dsn.Soft},
		{"any 4.x.x that ended delivery", "failed", "4.4.1", "Connection timed out", dsn.Soft},
		{"expired", "failed", "4.4.7", "delivery time expired", dsn.Soft},
		{"temporary over quota", "failed", "4.2.2", "452 4.2.2 over quota", dsn.Soft},
		{"policy is a block, not a bad address", "failed", "5.7.1", "554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org", dsn.Block},
		{"5.7.x even when the text mentions the recipient", "failed", "5.7.1", "550 5.7.1 <x@y.fi>: Recipient address rejected: Access denied", dsn.Block},
		{"dmarc", "failed", "5.7.26", "Unauthenticated email is not accepted due to domain's DMARC policy", dsn.Block},
		{"reputation deferral that expired", "failed", "4.7.0", "421 4.7.0 [TSS04] temporarily deferred due to user complaints", dsn.Block},
		{"4.x.x with a spam text is a block", "failed", "4.0.0", "451 Message rejected as spam, try later", dsn.Block},
		{"message too large", "failed", "5.3.4", "552 5.3.4 Message size exceeds fixed limit", dsn.Block},
		{"content rejected", "failed", "5.6.0", "554 5.6.0 Message content rejected", dsn.Block},
		{"bad sender address", "failed", "5.1.8", "553 5.1.8 Sender address domain does not exist", dsn.Block},
		{"delayed whatever the code", "delayed", "4.4.1", "Connection refused", dsn.Delayed},
		{"delayed with a 5.x.x code is still delayed", "Delayed", "5.1.1", "", dsn.Delayed},
		{"delivered", "delivered", "2.0.0", "250 ok", dsn.Unclassified},
		{"relayed", "relayed", "2.0.0", "", dsn.Unclassified},
		{"5.0.0 with a user-unknown text", "failed", "5.0.0", "550 No such user here", dsn.Hard},
		{"5.0.0 takes the diagnostic's code", "failed", "5.0.0", "550 5.1.1 <a@b.fi>: Recipient address rejected", dsn.Hard},
		{"5.0.0 with a policy text", "failed", "5.0.0", "550 Message rejected by policy", dsn.Block},
		{"5.0.0 with nothing known", "failed", "5.0.0", "554 Transaction failed", dsn.Unclassified},
		{"5.5.x with an unknown text", "failed", "5.5.0", "550 5.5.0 Requested action not taken", dsn.Unclassified},
		{"microsoft 5.4.1 directory rejection", "failed", "5.4.1", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", dsn.Hard},
		{"5.4.1 no answer", "failed", "5.4.1", "No answer from host", dsn.Soft},
		{"no status, reply code and text", "", "", "550 Unknown user", dsn.Hard},
		{"no status, only a reply code", "", "", "550 go away", dsn.Unclassified},
		{"no code at all, mailbox full text", "", "", "The recipient's mailbox is full", dsn.Soft},
		{"nothing at all", "", "", "", dsn.Unclassified},
		{"IP address is not a status code", "", "", "host 10.5.1.1 said: hello", dsn.Unclassified},
		{"qmail code in a comment", "", "", "Sorry, no mailbox here by that name. (#5.1.1)", dsn.Hard},
		{"status class wins over a diagnostic of another class", "failed", "4.0.0", "550 5.1.1 user unknown", dsn.Soft},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, rule := dsn.Classify(tt.action, tt.status, tt.diagnostic)
			assert.Equal(t, tt.want, got, "rule %s", rule)
			assert.NotEmpty(t, rule)
		})
	}
}

func TestClassifyFeedback(t *testing.T) {
	t.Parallel()
	for typ, want := range map[string]dsn.Verdict{
		"abuse": dsn.Complaint, "Fraud": dsn.Complaint, "virus": dsn.Complaint, "other": dsn.Complaint,
		"not-spam": dsn.Unclassified, "auth-failure": dsn.Unclassified, "": dsn.Unclassified,
	} {
		got, _ := dsn.ClassifyFeedback(typ)
		assert.Equal(t, want, got, "Feedback-Type %q", typ)
	}
}

func TestParseCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"5.1.1", "5.1.1", true},
		{" 4.2.2 (mailbox full)", "4.2.2", true},
		{"5.7.511", "5.7.511", true},
		{"2.0.0", "2.0.0", true},
		{"3.1.1", "", false},
		{"5.1", "", false},
		{"5.1.1.1", "", false},
		{"5.1111.1", "", false},
		{"", "", false},
		{"smtp; 550", "", false},
	}
	for _, tt := range tests {
		c, ok := dsn.ParseCode(tt.in)
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.want, c.String(), "%q", tt.in)
	}
}
