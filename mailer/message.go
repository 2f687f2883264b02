package mailer

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	netmail "net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Address is a mailbox with an optional display name.
type Address struct {
	Name  string
	Email string
}

// BuildInput is one campaign message to one recipient.
type BuildInput struct {
	From    Address
	ReplyTo string // optional
	To      string
	Subject string
	HTML    string // at least one of HTML and Text
	Text    string
	// MessageID is the caller-generated unique ID without angle brackets (NewMessageID).
	MessageID string
	// ReturnPath is the envelope sender (MAIL FROM); "" uses From. For VERP later.
	ReturnPath string
	// ListUnsubscribe are the unsubscribe URIs (https:, mailto:) for List-Unsubscribe.
	ListUnsubscribe []string
	// OneClick adds List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058); it requires
	// an https URI among ListUnsubscribe.
	OneClick bool
	// FeedbackID is the Feedback-ID header (Gmail's feedback loop aggregates by it); optional.
	FeedbackID string
	// Headers are extra headers, e.g. X-Kirje-Campaign. They may not replace the ones Build sets.
	Headers map[string]string
	// Date is the Date header; zero means now.
	Date time.Time
}

// Build makes a multipart/alternative (text, then HTML) message from in, DKIM-signed by signer
// when it is not nil. A signed message must not be changed afterwards. It returns an error
// wrapping ErrInvalid when in is incomplete or malformed.
func Build(in BuildInput, signer *DKIMSigner) (*mail.Msg, error) {
	if err := in.validate(); err != nil {
		return nil, fmt.Errorf("mailer: build: %w: %w", ErrInvalid, err)
	}
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	m.FromMailAddress(&netmail.Address{Name: in.From.Name, Address: in.From.Email})
	if err := m.To(in.To); err != nil {
		return nil, fmt.Errorf("mailer: build: %w: to: %w", ErrInvalid, err)
	}
	if in.ReplyTo != "" {
		if err := m.ReplyTo(in.ReplyTo); err != nil {
			return nil, fmt.Errorf("mailer: build: %w: reply-to: %w", ErrInvalid, err)
		}
	}
	if in.ReturnPath != "" {
		if err := m.EnvelopeFrom(in.ReturnPath); err != nil {
			return nil, fmt.Errorf("mailer: build: %w: return path: %w", ErrInvalid, err)
		}
	}
	m.Subject(in.Subject)
	m.SetMessageIDWithValue(in.MessageID)
	date := in.Date
	if date.IsZero() {
		date = time.Now()
	}
	m.SetDateWithValue(date)
	in.setHeaders(m)
	switch {
	case in.Text != "" && in.HTML != "":
		m.SetBoundary(newBoundary())
		m.SetBodyString(mail.TypeTextPlain, in.Text)
		m.AddAlternativeString(mail.TypeTextHTML, in.HTML)
	case in.HTML != "":
		m.SetBodyString(mail.TypeTextHTML, in.HTML)
	default:
		m.SetBodyString(mail.TypeTextPlain, in.Text)
	}
	if signer != nil {
		if err := signer.sign(m); err != nil {
			return nil, fmt.Errorf("mailer: build: dkim: %w", err)
		}
	}
	return m, nil
}

func (in BuildInput) setHeaders(m *mail.Msg) {
	if len(in.ListUnsubscribe) > 0 {
		m.SetListUnsubscribe(in.ListUnsubscribe...)
		if in.OneClick {
			m.SetListUnsubscribePost()
		}
	}
	if in.FeedbackID != "" {
		m.SetGenHeader("Feedback-ID", in.FeedbackID)
	}
	keys := make([]string, 0, len(in.Headers))
	for k := range in.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		m.SetGenHeader(mail.Header(k), in.Headers[k])
	}
}

// Headers Build sets itself (lower case) and go-mail writes: extra Headers may not name them.
var managedHeaders = []string{
	"from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "return-path",
	"list-unsubscribe", "list-unsubscribe-post", "feedback-id", "dkim-signature", "mime-version",
	"content-type", "content-transfer-encoding", "sender",
}

var headerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)

func (in BuildInput) validate() error {
	if _, err := netmail.ParseAddress(in.From.Email); err != nil || in.From.Email == "" {
		return fmt.Errorf("from address %q", in.From.Email)
	}
	if in.To == "" || strings.ContainsAny(in.To, ",;") {
		return fmt.Errorf("to: want exactly one address, have %q", in.To)
	}
	if in.HTML == "" && in.Text == "" {
		return fmt.Errorf("no HTML and no text")
	}
	if in.MessageID == "" || strings.ContainsAny(in.MessageID, "<> \t\r\n") || !strings.Contains(in.MessageID, "@") {
		return fmt.Errorf("message ID %q: want id@domain without angle brackets", in.MessageID)
	}
	if err := checkUnsubscribe(in.ListUnsubscribe, in.OneClick); err != nil {
		return err
	}
	for k, v := range in.Headers {
		if !headerName.MatchString(k) || slices.Contains(managedHeaders, strings.ToLower(k)) {
			return fmt.Errorf("header %q: not an extra header name", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("header %q: line break in value", k)
		}
	}
	if strings.ContainsAny(in.FeedbackID+in.Subject, "\r\n") {
		return fmt.Errorf("line break in the subject or Feedback-ID")
	}
	return nil
}

func checkUnsubscribe(uris []string, oneClick bool) error {
	https := false
	for _, raw := range uris {
		u, err := url.Parse(raw)
		if err != nil || strings.ContainsAny(raw, "<>, \t\r\n") ||
			!(u.Scheme == "https" && u.Host != "" || u.Scheme == "http" && u.Host != "" || u.Scheme == "mailto" && u.Opaque != "") {
			return fmt.Errorf("List-Unsubscribe URI %q: want an absolute https:, http: or mailto: URI", raw)
		}
		https = https || u.Scheme == "https"
	}
	if oneClick && !https {
		return fmt.Errorf("one-click unsubscribe needs an https URI in List-Unsubscribe (RFC 8058)")
	}
	return nil
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewMessageID returns a new unique Message-ID for domain, without angle brackets (the header
// carries "<" + id + ">"): 128 random bits, base32, e.g. "k3n…q@mail.example.fi".
func NewMessageID(domain string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return strings.ToLower(idEncoding.EncodeToString(b[:])) + "@" + domain
}
