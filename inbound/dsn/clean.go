package dsn

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length bounds of the strings a Report carries.
const (
	maxField      = 256  // addresses, codes, header values
	maxDiagnostic = 1000 // a diagnostic text
)

// clean makes s safe to store and print: valid UTF-8, control characters and runs of white
// space turned into one space, trimmed, and cut to at most max bytes on a rune boundary.
func clean(s string, max int) string {
	if len(s) > 8*max {
		s = s[:8*max] // bound the work on hostile input; the result is cut below anyway
	}
	var b strings.Builder
	b.Grow(min(len(s), max))
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\uFEFF' {
			space = b.Len() > 0
			continue
		}
		if space {
			if b.Len()+1 > max {
				break
			}
			b.WriteByte(' ')
			space = false
		}
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cleanAddress is clean for an address: angle brackets and an RFC 3464 address-type prefix
// ("rfc822;") removed, lower-cased.
func cleanAddress(s string) string {
	if _, after, ok := strings.Cut(s, ";"); ok {
		s = after
	}
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	return strings.ToLower(clean(s, maxField))
}

// stripType removes an RFC 3464 type prefix such as "smtp;" or "dns;" from a field value.
func stripType(s string) string {
	if before, after, ok := strings.Cut(s, ";"); ok && len(before) <= 16 && !strings.ContainsAny(before, " \t") {
		return after
	}
	return s
}
