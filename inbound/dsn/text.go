package dsn

import (
	"regexp"
	"strings"
)

// addrInText finds mail addresses in free text (ASCII; enough for diagnostics).
var addrInText = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+`)

// bounceSubject matches the subjects MTAs give non-delivery reports.
var bounceSubject = regexp.MustCompile(`(?i)undeliver|delivery (status notification|failure|has failed|failed|problem|incomplete)|failure notice|returned mail|mail delivery (failed|failure|subsystem)|non-?delivery|could not be delivered|not delivered|returned to sender|rejected:`)

// isBounceSender reports whether addr is a mail system's own address, the sender of bounces.
func isBounceSender(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	switch local {
	case "mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mdaemon",
		"mail-delivery-subsystem", "double-bounce":
		return true
	}
	return false
}

// isSystemAddress reports whether addr is never a failed recipient: a bounce sender or one of
// Kirje's own token addresses.
func isSystemAddress(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	return isBounceSender(addr) || strings.HasPrefix(local, "b+") || strings.HasPrefix(local, "u+")
}

// originalMarkers start the copy of the returned message in a text bounce (lower case, compared
// with a line stripped of dashes, stars and spaces).
var originalMarkers = []string{
	"below this line is a copy of the message", "this is a copy of the message",
	"original message", "the original message", "original message headers", "returned message",
	"undelivered message", "unsent message follows", "message follows", "copy of the original message",
	"message headers follow", "headers of the original message",
}

// originalHeaderNames start a quoted message when no marker line precedes it.
var originalHeaderNames = []string{
	"return-path:", "received:", "dkim-signature:", "arc-seal:", "authentication-results:",
	"x-kirje-campaign:", "list-unsubscribe:", "message-id:", "mime-version:",
}

// splitOriginal cuts a bounce's text where the copy of the returned message begins: before that
// is the diagnostic, after it the original (possibly "").
func splitOriginal(text string) (diagnostic, original string) {
	off := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		t := strings.ToLower(strings.Trim(strings.TrimSpace(line), "-=_*~ \t:"))
		for _, m := range originalMarkers {
			if strings.HasPrefix(t, m) {
				return text[:off], text[off+len(line):]
			}
		}
		lower := strings.ToLower(line)
		for _, h := range originalHeaderNames {
			if strings.HasPrefix(lower, h) {
				return text[:off], text[off:]
			}
		}
		off += len(line)
	}
	return text, ""
}

// textRecipients reads the failed recipients of a text bounce from its diagnostic part: each
// address found (or named by X-Failed-Recipients) with the text that follows it, classified.
// A text that names no address gives one recipient with an empty address.
func textRecipients(diag string, failed []string, max int) []Recipient {
	spans := addressSpans(diag)
	addrs := failed
	if len(addrs) == 0 {
		for _, s := range spans {
			if !containsString(addrs, s.addr) {
				addrs = append(addrs, s.addr)
			}
		}
	}
	if len(addrs) > max {
		addrs = addrs[:max]
	}
	if len(addrs) == 0 {
		return []Recipient{textRecipient("", diag)}
	}
	out := make([]Recipient, 0, len(addrs))
	for _, a := range addrs {
		seg := segmentFor(diag, spans, a)
		rc := textRecipient(a, seg)
		if rc.Verdict == Unclassified && len(addrs) == 1 {
			rc = textRecipient(a, diag) // the whole text speaks of the one address
		}
		out = append(out, rc)
	}
	return out
}

func textRecipient(addr, text string) Recipient {
	v, rule, code := classify("", "", text)
	return Recipient{
		Address: addr, Status: code.String(), Diagnostic: diagnosticLines(text),
		Verdict: v, Rule: rule,
	}
}

// span is one occurrence of an address in a text.
type span struct {
	addr       string
	start, end int
}

func addressSpans(text string) []span {
	var out []span
	for _, m := range addrInText.FindAllStringIndex(text, 200) {
		a := strings.ToLower(strings.Trim(text[m[0]:m[1]], "."))
		if !isSystemAddress(a) {
			out = append(out, span{a, m[0], m[1]})
		}
	}
	return out
}

// segmentFor joins, for every occurrence of addr, the text from it to the next address.
func segmentFor(text string, spans []span, addr string) string {
	var b strings.Builder
	for i, s := range spans {
		if s.addr != addr {
			continue
		}
		end := len(text)
		if i+1 < len(spans) {
			end = spans[i+1].start
		}
		b.WriteString(text[s.start:end])
		b.WriteByte('\n')
	}
	if b.Len() == 0 {
		return text
	}
	return b.String()
}

// diagnosticLines picks the lines of text that carry a reply code (up to three), or else the
// text itself, cleaned.
func diagnosticLines(text string) string {
	var picked []string
	for _, line := range strings.Split(text, "\n") {
		if len(picked) < 3 && !containsString(picked, line) &&
			(enhancedInText.MatchString(line) || replyInText.MatchString(line)) {
			picked = append(picked, line)
		}
	}
	if len(picked) > 0 {
		return clean(strings.Join(picked, " "), maxDiagnostic)
	}
	return clean(text, maxDiagnostic)
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
