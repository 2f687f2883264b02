package mailer

import (
	"errors"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/wneessen/go-mail"
)

// Kind says what a failed send means for the recipient and the sender.
type Kind string

// Failure kinds.
const (
	// Temporary: 4xx, network errors, timeouts, a refused or cancelled connection. Retry later
	// with backoff.
	Temporary Kind = "temporary"
	// HardBounce: the address does not exist (5xx to RCPT with 5.1.x or no enhanced code, not a
	// policy reply). Suppress the address.
	HardBounce Kind = "hard_bounce"
	// Block: the sending side is refused — 5.7.x, policy, spam or blocklist wording, or a 5xx
	// while opening the session (greeting, EHLO, STARTTLS, AUTH). The address is fine: do not
	// suppress it; stop and look at the relay, the credentials or the reputation.
	Block Kind = "block"
	// MailboxFull: 4.2.2 or 5.2.2 (or 552 to RCPT without an enhanced code). A soft bounce:
	// retry like Temporary, report it as soft.
	MailboxFull Kind = "mailbox_full"
	// Permanent: any other 5xx (at MAIL or DATA, say), or a message go-mail cannot send
	// (no sender or recipient). Do not retry; the address is not to blame.
	Permanent Kind = "permanent"
)

// SMTP stages a failure can happen at.
const (
	StageConnect = "connect" // dial, greeting, EHLO, STARTTLS, AUTH
	StageMail    = "mail"
	StageRcpt    = "rcpt"
	StageData    = "data" // the DATA command, the content or the final reply
	StageMessage = "message"
)

// Failure is a classified send error.
type Failure struct {
	Kind     Kind
	Code     int    // the SMTP reply code; 0 when there was no reply
	Enhanced string // the enhanced status code (RFC 3463), e.g. "5.1.1"; "" when none
	Stage    string // Stage*; "" when unknown
	Message  string // what went wrong, as the server or the network said it
}

// Retry reports whether sending again later may succeed.
func (f Failure) Retry() bool { return f.Kind == Temporary || f.Kind == MailboxFull }

// Classify tells what err, returned by Conn.Send or Pool.Send, means. A nil err gives the zero
// Failure. Anything it cannot place is Temporary, so no unknown error suppresses an address.
func Classify(err error) Failure {
	if err == nil {
		return Failure{}
	}
	f := Failure{Message: err.Error()}
	var se *mail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se):
		f.Stage, f.Code, f.Enhanced = stageOf(se.Reason), se.ErrorCode(), se.EnhancedStatusCode()
		f.Message = reply(se)
	case errors.As(err, &te):
		f.Code, f.Message = te.Code, te.Msg
	}
	var ce *connectError
	if errors.As(err, &ce) {
		f.Stage = StageConnect
	}
	if f.Enhanced == "" && f.Code >= 400 && f.Code < 600 {
		f.Enhanced = enhancedCode.FindString(f.Message) // servers send them without advertising
	}
	f.Kind = kindOf(f)
	return f
}

func kindOf(f Failure) Kind {
	switch {
	case f.Stage == StageMessage:
		return Permanent
	case f.Code >= 400 && f.Code < 500:
		if f.Enhanced == "4.2.2" {
			return MailboxFull
		}
		return Temporary
	case f.Code < 500 || f.Code >= 600:
		return Temporary // no reply: network, timeout, refused, cancelled
	case f.Stage == StageConnect, strings.HasPrefix(f.Enhanced, "5.7."):
		return Block
	case f.Enhanced == "5.2.2", f.Stage == StageRcpt && f.Code == 552 && f.Enhanced == "":
		return MailboxFull
	case f.Stage == StageRcpt && strings.HasPrefix(f.Enhanced, "5.1."):
		return HardBounce // an explicit address status outranks the wording
	case policyWording.MatchString(f.Message):
		return Block
	case f.Stage == StageRcpt && (f.Enhanced == "" || f.Enhanced == "5.0.0" || f.Enhanced == "5.2.1"):
		return HardBounce
	}
	return Permanent
}

var (
	enhancedCode  = regexp.MustCompile(`\b[245]\.\d{1,3}\.\d{1,3}\b`)
	policyWording = regexp.MustCompile(`(?i)\b(block(ed|ing|list(ed)?)?|black ?list(ed)?|deny ?list(ed)?|spam(my)?|` +
		`policy|policies|reputation|rbl|dnsbl|spamhaus|barracuda|banned|abuse|unsolicited|junk)\b`)
)

func stageOf(r mail.SendErrReason) string {
	switch r {
	case mail.ErrSMTPMailFrom:
		return StageMail
	case mail.ErrSMTPRcptTo:
		return StageRcpt
	case mail.ErrSMTPData, mail.ErrSMTPDataClose, mail.ErrWriteContent:
		return StageData
	case mail.ErrConnCheck:
		return StageConnect
	case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
		return StageMessage
	}
	return ""
}

// reply is go-mail's error text without its own wording around the server's reply.
func reply(se *mail.SendError) string {
	s := strings.TrimPrefix(se.Error(), se.Reason.String()+": ")
	s, _, _ = strings.Cut(s, ", affected recipient(s): ")
	s, _, _ = strings.Cut(s, ", affected message ID: ")
	return s
}
