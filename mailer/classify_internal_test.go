package mailer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKindOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    Failure
		want Kind
	}{
		{"no reply: network", Failure{Code: 0, Stage: StageRcpt, Message: "read: connection reset by peer"}, Temporary},
		{"no reply: refused", Failure{Code: 0, Stage: StageConnect, Message: "connection refused"}, Temporary},
		{"greylisting", Failure{Code: 451, Enhanced: "4.7.1", Stage: StageRcpt}, Temporary},
		{"4xx at MAIL", Failure{Code: 421, Stage: StageMail}, Temporary},
		{"4xx while connecting", Failure{Code: 421, Stage: StageConnect, Message: "too many connections"}, Temporary},
		{"temporarily over quota", Failure{Code: 452, Enhanced: "4.2.2", Stage: StageRcpt}, MailboxFull},
		{"no such user", Failure{Code: 550, Enhanced: "5.1.1", Stage: StageRcpt, Message: "User unknown"}, HardBounce},
		{"bad destination mailbox syntax", Failure{Code: 553, Enhanced: "5.1.3", Stage: StageRcpt}, HardBounce},
		{"5.1.1 mentioning spam stays a bounce", Failure{Code: 550, Enhanced: "5.1.1", Stage: StageRcpt, Message: "no such user (spam trap?)"}, HardBounce},
		{"no enhanced code", Failure{Code: 550, Stage: StageRcpt, Message: "mailbox unavailable"}, HardBounce},
		{"5.0.0", Failure{Code: 550, Enhanced: "5.0.0", Stage: StageRcpt, Message: "unknown user"}, HardBounce},
		{"disabled mailbox", Failure{Code: 550, Enhanced: "5.2.1", Stage: StageRcpt}, HardBounce},
		{"mailbox full", Failure{Code: 552, Enhanced: "5.2.2", Stage: StageRcpt}, MailboxFull},
		{"552 at RCPT without enhanced", Failure{Code: 552, Stage: StageRcpt, Message: "exceeded storage allocation"}, MailboxFull},
		{"policy 5.7.1 at RCPT", Failure{Code: 550, Enhanced: "5.7.1", Stage: StageRcpt, Message: "relaying denied"}, Block},
		{"5.7.x at DATA", Failure{Code: 554, Enhanced: "5.7.1", Stage: StageData, Message: "message rejected"}, Block},
		{"blocklist wording, no enhanced", Failure{Code: 554, Stage: StageRcpt, Message: "Client host [1.2.3.4] blocked using zen.spamhaus.org"}, Block},
		{"policy wording 5.0.0", Failure{Code: 550, Enhanced: "5.0.0", Stage: StageRcpt, Message: "rejected by local policy"}, Block},
		{"spam wording at DATA", Failure{Code: 550, Stage: StageData, Message: "Message looks like SPAM"}, Block},
		{"5xx at connect", Failure{Code: 535, Enhanced: "5.7.8", Stage: StageConnect, Message: "authentication failed"}, Block},
		{"5xx greeting", Failure{Code: 554, Stage: StageConnect, Message: "no SMTP service here"}, Block},
		{"5.1.8 at MAIL is the sender's", Failure{Code: 553, Enhanced: "5.1.8", Stage: StageMail}, Permanent},
		{"message too big", Failure{Code: 552, Enhanced: "5.3.4", Stage: StageData}, Permanent},
		{"content rejected", Failure{Code: 550, Enhanced: "5.6.0", Stage: StageData}, Permanent},
		{"5.5.x syntax at RCPT", Failure{Code: 501, Enhanced: "5.5.2", Stage: StageRcpt}, Permanent},
		{"a message go-mail cannot send", Failure{Stage: StageMessage}, Permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, kindOf(tt.f))
			assert.Equal(t, tt.want == Temporary || tt.want == MailboxFull, Failure{Kind: tt.want}.Retry())
		})
	}
}
