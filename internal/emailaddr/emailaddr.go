// Package emailaddr validates and normalises email addresses, the one way every part of Kirje
// compares them: the register's unique key, the suppression list's hash and inbound matching all
// go through Normalize.
package emailaddr

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrInvalid is returned (wrapped) for anything that is not a single plain address.
var ErrInvalid = errors.New("invalid email address")

// Normalize trims s, checks it is one bare addr-spec (no display name, no comments), lower-cases
// it and converts an internationalised domain to its ASCII (punycode) form. Local parts are kept
// as written apart from case: plus tags and dots name different mailboxes at many B2B domains.
func Normalize(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalid)
	}
	if len(s) > 254 {
		return "", fmt.Errorf("%w: longer than 254 characters", ErrInvalid)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", fmt.Errorf("%w: %q", ErrInvalid, s)
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 {
		return "", fmt.Errorf("%w: local part of %q", ErrInvalid, s)
	}
	domain, err = NormalizeDomain(domain)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrInvalid, s, err)
	}
	return strings.ToLower(local) + "@" + domain, nil
}

// NormalizeDomain lower-cases a domain and converts it to IDNA ASCII form. It requires at least
// one dot: bare hosts are not mail domains for Kirje's purposes.
func NormalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if !utf8.ValidString(d) {
		return "", errors.New("domain is not valid UTF-8")
	}
	if strings.HasPrefix(d, "[") {
		return "", errors.New("address literals are not accepted")
	}
	ascii, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", fmt.Errorf("domain %q: %w", d, err)
	}
	ascii = strings.ToLower(ascii)
	if !strings.Contains(ascii, ".") {
		return "", fmt.Errorf("domain %q has no dot", d)
	}
	// Mapping can empty a label ("\u00ad.fi" → ".fi"): what comes out must parse again.
	for _, label := range strings.Split(ascii, ".") {
		if label == "" {
			return "", fmt.Errorf("domain %q has an empty label", d)
		}
	}
	return ascii, nil
}

// Domain returns the domain part of a normalised address ("" when there is no @).
func Domain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return addr[at+1:]
}

// Mask hides most of an address for display to whoever holds a link, e.g. "m***@e***.fi".
func Mask(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	local, domain := addr[:at], addr[at+1:]
	host, tld := domain, ""
	if dot := strings.LastIndexByte(domain, '.'); dot > 0 {
		host, tld = domain[:dot], domain[dot:]
	}
	return first(local) + "***@" + first(host) + "***" + tld
}

func first(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}
