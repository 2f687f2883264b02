package mailer

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/wneessen/go-mail"
)

// Headers every signature covers. Listing a header the message lacks signs its absence, so
// nobody can add one later (Reply-To, Feedback-ID). The unsubscribe headers are covered as
// RFC 8058 requires.
var signedHeaders = []string{
	"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
	"List-Unsubscribe", "List-Unsubscribe-Post", "Reply-To", "Feedback-ID",
}

// Headers signed once more than they occur, so a second instance cannot be prepended to a
// signed message (RFC 6376 8.15).
var oversignedHeaders = []string{"From", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"}

// DKIMSigner signs messages for one domain and selector (relaxed/relaxed; RSA-SHA256 or
// Ed25519-SHA256 by the key). It is safe for concurrent use; make one per brand and reuse it.
//
// It uses go-mail's signer to compute the signature, but not go-mail's signing on write:
// go-mail v0.8.1 folds the DKIM-Signature header in the middle of the h= tag once the list of
// signed headers outgrows a line ("List-Unsubscrib<CRLF> e"), and a relaxed verifier then
// hashes a space the signer did not, so the signature fails. Build renders the message,
// signs it, and adds the header folded only where relaxed canonicalisation allows.
type DKIMSigner struct {
	s        *mail.DKIMSigner
	domain   string
	selector string
}

// NewDKIMSigner parses a PEM private key (PKCS#1 or PKCS#8, RSA or Ed25519). It returns an
// error wrapping ErrInvalid when a part is missing or the key does not parse; the error never
// contains the key.
func NewDKIMSigner(domain, selector, pemKey string) (*DKIMSigner, error) {
	if domain == "" || selector == "" {
		return nil, fmt.Errorf("mailer: dkim: %w: domain and selector are required", ErrInvalid)
	}
	key, err := mail.PrivKeyFromPEM([]byte(pemKey))
	if err != nil {
		return nil, fmt.Errorf("mailer: dkim %s._domainkey.%s: %w: private key: %v", selector, domain, ErrInvalid, err)
	}
	s := mail.NewDKIMSigner(domain, selector, key)
	s.SignHeaders(signedHeaders...)
	s.OversignHeaders(oversignedHeaders...)
	// go-mail's signer records its algorithm on first use, writing to itself: sign once here,
	// before the signer is shared, so concurrent sends only read it.
	if _, err := s.Sign([]byte("From: warm-up@"+domain+"\r\n"), []byte("\r\n")); err != nil {
		return nil, fmt.Errorf("mailer: dkim %s._domainkey.%s: %w: %v", selector, domain, ErrInvalid, err)
	}
	return &DKIMSigner{s: s, domain: domain, selector: selector}, nil
}

// Domain is the signing domain (d=).
func (d *DKIMSigner) Domain() string { return d.domain }

// Selector is the key's selector (s=).
func (d *DKIMSigner) Selector() string { return d.selector }

// sign adds a DKIM-Signature header to m, computed over m as it will be written. m must write
// the same bytes every time: Build fixes its Date, Message-ID and boundary.
func (d *DKIMSigner) sign(m *mail.Msg) error {
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return err
	}
	head, body, _ := bytes.Cut(buf.Bytes(), []byte("\r\n\r\n"))
	field, err := d.s.Sign(append(head, "\r\n"...), body)
	if err != nil {
		return err
	}
	// go-mail's folding only ever inserts "CRLF SP": removing it gives the value it signed.
	value := strings.TrimPrefix(strings.TrimSuffix(field, "\r\n"), "DKIM-Signature: ")
	m.SetGenHeaderPreformatted("DKIM-Signature", foldSignature(strings.ReplaceAll(value, "\r\n ", "")))
	return nil
}

// foldSignature folds "v=1; a=…; b=SIG" only after a tag's "; " and inside b=, the places where
// relaxed canonicalisation (which keeps one space for each fold) leaves the signed text intact.
func foldSignature(v string) string {
	const width = 76
	var sb strings.Builder
	col := len("DKIM-Signature: ")
	tags := strings.Split(v, "; ")
	for i, tag := range tags {
		if i > 0 {
			if col+2+len(tag) > width || strings.HasPrefix(tag, "b=") {
				sb.WriteString(";\r\n ")
				col = 1
			} else {
				sb.WriteString("; ")
				col += 2
			}
		}
		if !strings.HasPrefix(tag, "b=") {
			sb.WriteString(tag)
			col += len(tag)
			continue
		}
		for len(tag) > width-col {
			sb.WriteString(tag[:width-col] + "\r\n ")
			tag, col = tag[width-col:], 1
		}
		sb.WriteString(tag)
		col += len(tag)
	}
	return sb.String()
}

// newBoundary is a fixed multipart boundary, so a signed message writes the same bytes again.
func newBoundary() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
