package token

import (
	"encoding/base32"
	"encoding/base64"
	"strings"
)

const (
	urlAlphabet  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	addrAlphabet = "abcdefghijklmnopqrstuvwxyz234567"
)

// The encodings are immutable values. Strict base64 rejects non-zero padding bits, so a changed
// last character never decodes to the same bytes.
var (
	urlEncoding  = base64.RawURLEncoding.Strict()
	addrEncoding = base32.NewEncoding(addrAlphabet).WithPadding(base32.NoPadding)
)

// inAlphabet reports whether every byte of s is in alphabet. Decoders skip CR and LF; a token
// must have one spelling, so anything outside the alphabet is refused first.
func inAlphabet(s, alphabet string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	return s != ""
}

// lowerASCII lower-cases ASCII letters only (an address token is ASCII or invalid).
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
