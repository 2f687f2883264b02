package dsn

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"regexp"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// getter is the part of mail.Header and textproto.MIMEHeader the walker uses.
type getter interface{ Get(string) string }

// walker collects the parts of a message that matter, depth first, within Limits.
type walker struct {
	lim        Limits
	parts      int
	reportType string   // report-type of the first multipart/report
	status     [][]byte // message/delivery-status bodies
	feedback   [][]byte // message/feedback-report bodies
	original   []byte   // the header block of the returned message, if a part carries it
	attached   []byte   // the whole first attached message (message/rfc822, message/global)
	texts      []string // human-readable text, decoded, in order
	textBytes  int
}

// maxOriginalHeader bounds the copy kept of the returned message's header.
const maxOriginalHeader = 64 << 10

func (w *walker) walk(h getter, body []byte, depth int) error {
	w.parts++
	if w.parts > w.lim.MaxParts {
		return fmt.Errorf("%w: more than %d MIME parts", ErrMalformed, w.lim.MaxParts)
	}
	mt, params := mediaType(h.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
		if depth >= w.lim.MaxDepth {
			return fmt.Errorf("%w: multipart nested deeper than %d", ErrMalformed, w.lim.MaxDepth)
		}
		if mt == "multipart/report" && w.reportType == "" {
			w.reportType = strings.ToLower(params["report-type"])
		}
		return w.walkMultipart(body, params["boundary"], depth)
	}
	body = decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
	switch mt {
	case "message/delivery-status", "message/global-delivery-status", "text/delivery-status":
		w.status = append(w.status, body)
	case "message/feedback-report":
		w.feedback = append(w.feedback, body)
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers", "message/global-headers":
		// The returned message: only its header matters, and its text is the campaign's, not
		// a diagnostic, so it is not walked.
		if w.original == nil {
			w.original = headerBlock(body)
		}
		if w.attached == nil && (mt == "message/rfc822" || mt == "message/global") {
			w.attached = body // a forwarded report is read from it when nothing else is a report
		}
	case "text/plain", "":
		w.addText(decodeCharset(body, params["charset"]))
	case "text/html":
		w.addText(stripHTML(decodeCharset(body, params["charset"])))
	}
	return nil
}

func (w *walker) walkMultipart(body []byte, boundary string, depth int) error {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			return nil // the end, or a broken structure: keep what was read
		}
		b, _ := io.ReadAll(p) // a truncated last part is still worth reading
		if err := w.walk(p.Header, b, depth+1); err != nil {
			return err
		}
	}
}

func (w *walker) addText(s string) {
	room := w.lim.MaxText - w.textBytes
	if room <= 0 {
		return
	}
	if len(s) > room {
		s = s[:room]
	}
	w.texts = append(w.texts, s)
	w.textBytes += len(s)
}

// mediaType parses a Content-Type leniently: a value mime cannot parse still gives its type.
// A missing Content-Type is "" (treated as text/plain).
func mediaType(v string) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		t, _, _ := strings.Cut(v, ";")
		return strings.ToLower(strings.TrimSpace(t)), params // params may hold what parsed
	}
	return mt, params
}

// headerBlock returns the header of a message (up to the first blank line), bounded.
func headerBlock(b []byte) []byte {
	b = bytes.TrimLeft(b, "\r\n")
	if end := headerEnd(b); end >= 0 {
		b = b[:end]
	}
	if len(b) > maxOriginalHeader {
		b = b[:maxOriginalHeader]
	}
	return b
}

// decodeTransfer undoes a Content-Transfer-Encoding, leniently: undecodable input is returned
// as far as it decoded, or as it is.
func decodeTransfer(cte string, b []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := make([]byte, 0, len(b))
		for _, c := range b {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
				clean = append(clean, c)
			}
		}
		if len(clean)%4 == 1 { // a lone last character carries no whole byte
			clean = clean[:len(clean)-1]
		}
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
		n, _ := base64.RawStdEncoding.Decode(out, clean)
		return out[:n]
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		return out
	}
	return b
}

// decodeCharset converts text in a declared charset to UTF-8; unknown charsets are kept as
// bytes (clean later replaces what is not UTF-8).
func decodeCharset(b []byte, charset string) string {
	switch strings.ToLower(charset) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return string(b)
	}
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return string(b)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(out)
}

var (
	htmlDrop  = regexp.MustCompile(`(?is)<(script|style|head)\b.*?</(script|style|head)\s*>`)
	htmlBreak = regexp.MustCompile(`(?i)<(br|/p|/div|/tr|/li|/h[1-6])\b[^>]*>`)
	htmlTag   = regexp.MustCompile(`(?s)<[^>]*>`)
)

// stripHTML reduces HTML to its text, keeping line breaks where blocks end.
func stripHTML(s string) string {
	s = htmlDrop.ReplaceAllString(s, " ")
	s = htmlBreak.ReplaceAllString(s, "\n")
	s = htmlTag.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}
