package dsn

import (
	"regexp"
	"strings"
)

// Candidate Kirje tokens in returned text: the VERP return path b+TOKEN@, the mailto address
// u+TOKEN@ (address form: base32, any case) and the unsubscribe URL /u/TOKEN (base64url).
var (
	returnPathToken  = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9.+_-])b\+([a-z2-7]{16,100})@`)
	mailtoToken      = regexp.MustCompile(`(?i)(?:^|[^A-Za-z0-9.+_-])u\+([a-z2-7]{16,100})@`)
	unsubscribeToken = regexp.MustCompile(`/u/([A-Za-z0-9_-]{16,120})`)
	messageIDLine    = regexp.MustCompile(`(?im)^[ \t>]*message-id:[ \t]*<([^<>\s]{1,250})>`)
	campaignLine     = regexp.MustCompile(`(?im)^[ \t>]*x-kirje-campaign:[ \t]*([0-9]{1,19})\b`)
)

// maxTokens bounds the candidates kept of each kind.
const maxTokens = 8

// readOriginal fills o from the returned message's header (a MIME part, or the text after a
// bounce's "original message" marker), and falls back to header-looking lines anywhere in the
// text. Tokens are searched in both.
func readOriginal(header []byte, texts []string) Original {
	var o Original
	h := scanHeader(header)
	o.MessageID = clean(trimAngle(h.get("message-id")), maxField)
	o.Campaign = clean(h.get("x-kirje-campaign"), 32)
	o.To = clean(h.get("to"), maxField)
	o.Subject = clean(decodeWords(h.get("subject")), maxField)
	o.FeedbackID = clean(h.get("feedback-id"), maxField)
	all := string(header) + "\n" + strings.Join(texts, "\n")
	if o.MessageID == "" {
		if m := messageIDLine.FindStringSubmatch(all); m != nil {
			o.MessageID = clean(m[1], maxField)
		}
	}
	if o.Campaign == "" {
		if m := campaignLine.FindStringSubmatch(all); m != nil {
			o.Campaign = m[1]
		}
	}
	unfolded := unfold(all)
	o.ReturnPath = tokens(returnPathToken, unfolded, true)
	o.Mailto = tokens(mailtoToken, unfolded, true)
	o.Unsubscribe = tokens(unsubscribeToken, unfolded, false)
	return o
}

// tokens returns the distinct first submatches of re in s, at most maxTokens.
func tokens(re *regexp.Regexp, s string, lower bool) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, 4*maxTokens) {
		t := m[1]
		if lower {
			t = strings.ToLower(t)
		}
		if !containsString(out, t) {
			out = append(out, t)
		}
		if len(out) == maxTokens {
			break
		}
	}
	return out
}

// unfold joins header continuation lines, so a token split by folding is found whole.
func unfold(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n ", " ")
	return strings.ReplaceAll(s, "\n\t", " ")
}

func trimAngle(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			return s[i+1 : i+j]
		}
	}
	return s
}
