package register

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/mail"
	"strings"

	"github.com/kirje/kirje/internal/emailaddr"
)

// BrandInput is what CreateBrand and UpdateBrand take.
type BrandInput struct {
	Name          string `json:"name"`           // required, unique
	From          string `json:"from"`           // required: "Name <addr>" or a bare address
	ReplyTo       string `json:"reply_to"`       // optional address, with or without a name
	PostalAddress string `json:"postal_address"` // required: every message's footer shows it
	// DKIM signing: domain, selector and key come together or not at all. The key is a PEM RSA
	// (PKCS #1 or PKCS #8, at least 1024 bits) or Ed25519 (PKCS #8) private key.
	DKIMDomain   string `json:"dkim_domain"`
	DKIMSelector string `json:"dkim_selector"`
	DKIMKeyPEM   string `json:"dkim_key_pem"`
	Relay        string `json:"relay"`    // SMTP relay name from configuration; "default" when empty
	Tracking     string `json:"tracking"` // a Tracking* level; individual when empty
}

// normalize validates in into a Brand (without ID and times). keptKey is the stored DKIM key
// that an update without a new key keeps: a key is never read back, so callers cannot resend it.
func (in BrandInput) normalize(keptKey string) (Brand, error) {
	var b Brand
	var err error
	if b.Name, err = cleanText("name", in.Name, false); err == nil && b.Name == "" {
		err = invalid("name", "empty")
	}
	if err != nil {
		return Brand{}, err
	}
	if b.FromName, b.FromAddress, err = parseAddress("from", in.From); err == nil && b.FromAddress == "" {
		err = invalid("from", `empty: want "Name <address>"`)
	}
	if err != nil {
		return Brand{}, err
	}
	name, addr, err := parseAddress("reply_to", in.ReplyTo)
	if err != nil {
		return Brand{}, err
	}
	b.ReplyTo = addr
	if name != "" {
		b.ReplyTo = (&mail.Address{Name: name, Address: addr}).String()
	}
	if b.PostalAddress, err = cleanText("postal_address", in.PostalAddress, true); err == nil && b.PostalAddress == "" {
		err = invalid("postal_address", "empty: every message's footer must show it")
	}
	if err != nil {
		return Brand{}, err
	}
	if err := in.normalizeDKIM(&b, keptKey); err != nil {
		return Brand{}, err
	}
	if b.Relay, err = cleanText("relay", in.Relay, false); err != nil {
		return Brand{}, err
	}
	if b.Relay == "" {
		b.Relay = "default"
	}
	if b.Tracking, err = parseTracking(in.Tracking); err != nil {
		return Brand{}, err
	}
	if b.Tracking == "" {
		b.Tracking = TrackingIndividual
	}
	return b, nil
}

// parseAddress parses "Name <addr>" or "addr"; an empty s gives empty results.
func parseAddress(field, s string) (name, addr string, err error) {
	s, err = cleanText(field, s, false)
	if err != nil || s == "" {
		return "", "", err
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", "", invalid(field, "%q: %v", s, err)
	}
	if addr, err = normalizeEmail(a.Address); err != nil {
		return "", "", invalidEmail(field, err)
	}
	if name, err = cleanText(field, a.Name, false); err != nil {
		return "", "", err
	}
	return name, addr, nil
}

func (in BrandInput) normalizeDKIM(b *Brand, keptKey string) error {
	domain := strings.TrimSpace(in.DKIMDomain)
	b.DKIMSelector = strings.TrimSpace(in.DKIMSelector)
	b.DKIMKeyPEM = strings.TrimSpace(in.DKIMKeyPEM)
	if domain == "" && b.DKIMSelector == "" && b.DKIMKeyPEM == "" {
		return nil
	}
	if b.DKIMKeyPEM == "" {
		b.DKIMKeyPEM = keptKey
	}
	switch {
	case domain == "":
		return invalid("dkim_domain", "required with a DKIM selector and key")
	case b.DKIMSelector == "":
		return invalid("dkim_selector", "required with a DKIM domain and key")
	case b.DKIMKeyPEM == "":
		return invalid("dkim_key", "required with a DKIM domain and selector")
	}
	var err error
	if b.DKIMDomain, err = emailaddr.NormalizeDomain(domain); err != nil {
		return invalid("dkim_domain", "%v", err)
	}
	if !validSelector(b.DKIMSelector) {
		return invalid("dkim_selector", "%q is not a DNS name", b.DKIMSelector)
	}
	return checkDKIMKey(b.DKIMKeyPEM)
}

// validSelector: dot-separated DNS labels of letters, digits, '-' and '_'.
func validSelector(s string) bool {
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return len(s) <= 253
}

// checkDKIMKey accepts one PEM private key usable for DKIM: RSA of 1024 bits or more (RFC 8301)
// in PKCS #1 or PKCS #8, or Ed25519 in PKCS #8 (RFC 8463).
func checkDKIMKey(s string) error {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return invalid("dkim_key", "not a PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return invalid("dkim_key", "PEM block %q is not a private key (want RSA PRIVATE KEY or PRIVATE KEY)", block.Type)
	}
	if err != nil {
		return invalid("dkim_key", "%v", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 1024 {
			return invalid("dkim_key", "RSA key of %d bits: DKIM needs at least 1024", k.N.BitLen())
		}
		return nil
	case ed25519.PrivateKey:
		return nil
	}
	return invalid("dkim_key", "%T keys cannot sign DKIM (want RSA or Ed25519)", key)
}
