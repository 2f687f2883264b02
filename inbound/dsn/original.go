package dsn

import (
	"regexp"
	"strings"
)

// Header-looking lines in a bounce's text, for when the returned header is not a MIME part.
var (
	messageIDLine = regexp.MustCompile(`(?im)^[ \t>]*message-id:[ \t]*<([^<>\s]{1,250})>`)
	campaignLine  = regexp.MustCompile(`(?im)^[ \t>]*x-kirje-campaign:[ \t]*([0-9]{1,19})\b`)
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
	lower := strings.ToLower(unfolded)
	o.ReturnPath = addressTokens(lower, "b+")
	o.Mailto = addressTokens(lower, "u+")
	o.Unsubscribe = urlTokens(unfolded)
	return o
}

// addressTokens finds the candidate tokens of prefix+TOKEN@ in lower-case text: the prefix not
// inside a longer local part, TOKEN 16–100 base32 characters followed by "@". (A scan, not a
// regular expression: it runs over every returned message's text.)
func addressTokens(lower, prefix string) []string {
	var out []string
	for i := 0; len(out) < maxTokens; {
		j := strings.Index(lower[i:], prefix)
		if j < 0 {
			break
		}
		start := i + j + len(prefix)
		i = start
		if at := start - len(prefix); at > 0 && isLocalPartChar(lower[at-1]) {
			continue
		}
		end := start
		for end < len(lower) && end-start <= 100 && isBase32(lower[end]) {
			end++
		}
		if n := end - start; n >= 16 && n <= 100 && end < len(lower) && lower[end] == '@' {
			out = appendNew(out, lower[start:end])
		}
	}
	return out
}

// urlTokens finds the candidate tokens of unsubscribe URLs: /u/ and 16–120 base64url characters.
func urlTokens(s string) []string {
	var out []string
	for i := 0; len(out) < maxTokens; {
		j := strings.Index(s[i:], "/u/")
		if j < 0 {
			break
		}
		start := i + j + 3
		end := start
		for end < len(s) && end-start <= 120 && isBase64URL(s[end]) {
			end++
		}
		if n := end - start; n >= 16 && n <= 120 {
			out = appendNew(out, s[start:end])
		}
		i = start
	}
	return out
}

func isLocalPartChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '+' || c == '_' || c == '-'
}

func isBase32(c byte) bool { return c >= 'a' && c <= 'z' || c >= '2' && c <= '7' }

func isBase64URL(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func appendNew(ss []string, s string) []string {
	if containsString(ss, s) {
		return ss
	}
	return append(ss, s)
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
