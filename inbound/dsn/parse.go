package dsn

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
)

// Parse reads one message and reports what it says per recipient. Zero Limits mean the
// defaults. It returns an error wrapping ErrMalformed when the message has no readable header or
// exceeds lim; anything readable gives a Report (a message that is no bounce or report is
// KindOther). A report forwarded as an attachment is read from the attachment (Forwarded).
// Recipients always has at least one entry. Parse never panics.
func Parse(raw []byte, lim Limits) (*Report, error) {
	return parse(raw, lim.withDefaults(), true)
}

// parse is Parse; unpack allows one level of forwarded report (see forwardedReport).
func parse(raw []byte, lim Limits, unpack bool) (*Report, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: header: %s", ErrMalformed, clean(err.Error(), maxField))
	}
	body, _ := io.ReadAll(msg.Body)
	w := &walker{lim: lim}
	if err := w.walk(msg.Header, body, 0); err != nil {
		return nil, err
	}
	rep := &Report{
		MessageID: clean(trimAngle(msg.Header.Get("Message-Id")), maxField),
		From:      headerAddress(msg.Header.Get("From")),
		Subject:   clean(decodeWords(msg.Header.Get("Subject")), maxField),
		To:        headerAddresses(msg.Header, 20),
	}
	rep.Original = readOriginal(w.original, w.texts)
	if unpack && len(w.status) == 0 && len(w.feedback) == 0 {
		if inner := forwardedReport(w.attached, lim); inner != nil {
			return inner, nil
		}
	}
	switch {
	case len(w.status) > 0 && rep.fromDSN(w, lim):
		rep.Kind = KindDSN
	case len(w.feedback) > 0:
		rep.Kind = KindFeedback
		rep.fromFeedback(w.feedback[0])
	case looksLikeBounce(msg.Header, rep, w):
		rep.Kind = KindText
		rep.fromText(msg.Header, w, lim)
	default:
		rep.Kind = KindOther
		rep.Recipients = []Recipient{{Verdict: Unclassified, Rule: "not-a-bounce"}}
	}
	return rep, nil
}

// fromDSN reads the delivery-status parts; it reports false when they name no recipient, so
// the text decides instead.
func (rep *Report) fromDSN(w *walker, lim Limits) bool {
	diag, _ := splitOriginal(strings.Join(w.texts, "\n"))
	spans := addressSpans(diag)
	for _, body := range w.status {
		for _, g := range parseGroups(body, lim.MaxRecipients+1) {
			if rep.ReportingMTA == "" {
				rep.ReportingMTA = clean(stripType(g.get("reporting-mta")), maxField)
			}
			if !g.has("final-recipient", "original-recipient", "action", "status") {
				continue
			}
			if len(rep.Recipients) == lim.MaxRecipients {
				return true
			}
			rep.Recipients = append(rep.Recipients, dsnRecipient(g, diag, spans))
		}
	}
	return len(rep.Recipients) > 0
}

func dsnRecipient(g group, text string, spans []span) Recipient {
	rc := Recipient{
		Address:         cleanAddress(g.get("final-recipient")),
		OriginalAddress: cleanAddress(g.get("original-recipient")),
		Action:          strings.ToLower(clean(g.get("action"), 32)),
		Diagnostic:      clean(stripType(g.get("diagnostic-code")), maxDiagnostic),
		RemoteMTA:       clean(stripType(g.get("remote-mta")), maxField),
	}
	if rc.Address == "" {
		rc.Address = rc.OriginalAddress
	}
	status := clean(g.get("status"), 32)
	diag := rc.Diagnostic
	if diag == "" && rc.Address != "" && len(spans) > 0 {
		// Some MTAs give the reason only in the human-readable part.
		diag = segmentFor(text, spans, rc.Address)
		rc.Diagnostic = diagnosticLines(diag)
	}
	var code Code
	rc.Verdict, rc.Rule, code = classify(rc.Action, status, diag)
	rc.Status = code.String()
	if rc.Status == "" {
		rc.Status = status
	}
	return rc
}

func (rep *Report) fromFeedback(body []byte) {
	var g group
	if gs := parseGroups(body, 4); len(gs) > 0 {
		g = gs[0]
		for _, more := range gs[1:] { // some reporters put a blank line inside the block
			g = append(g, more...)
		}
	}
	fb := &Feedback{
		Type:             strings.ToLower(clean(g.get("feedback-type"), 32)),
		UserAgent:        clean(g.get("user-agent"), maxField),
		Version:          clean(g.get("version"), 16),
		OriginalMailFrom: cleanAddress(g.get("original-mail-from")),
		ArrivalDate:      clean(g.get("arrival-date"), 64),
		SourceIP:         clean(g.get("source-ip"), 64),
		ReportedDomain:   clean(g.get("reported-domain"), maxField),
	}
	for _, to := range g.all("original-rcpt-to") {
		if a := cleanAddress(to); a != "" && !containsString(fb.OriginalRcptTo, a) && len(fb.OriginalRcptTo) < 20 {
			fb.OriginalRcptTo = append(fb.OriginalRcptTo, a)
		}
	}
	rep.Feedback = fb
	v, rule := ClassifyFeedback(fb.Type)
	diag := clean("Feedback-Type: "+fb.Type+"; User-Agent: "+fb.UserAgent, maxDiagnostic)
	addrs := fb.OriginalRcptTo
	if len(addrs) == 0 {
		if a := headerAddress(rep.Original.To); a != "" {
			addrs = []string{a}
		} else {
			addrs = []string{""} // redacted: the tokens in the original must name the person
		}
	}
	for _, a := range addrs {
		rep.Recipients = append(rep.Recipients, Recipient{Address: a, Diagnostic: diag, Verdict: v, Rule: rule})
	}
}

func (rep *Report) fromText(h mail.Header, w *walker, lim Limits) {
	diag, _ := splitOriginal(strings.Join(w.texts, "\n"))
	var failed []string
	for _, a := range strings.Split(h.Get("X-Failed-Recipients"), ",") {
		if a = cleanAddress(a); a != "" && !isSystemAddress(a) {
			failed = append(failed, a)
		}
	}
	rep.Recipients = textRecipients(diag, failed, lim.MaxRecipients)
}

// looksLikeBounce decides whether a message without a report part is a non-delivery report:
// it comes from a mailer daemon or postmaster, names failed recipients, has a bounce subject,
// or calls itself a delivery-status report.
func looksLikeBounce(h mail.Header, rep *Report, w *walker) bool {
	return isBounceSender(rep.From) ||
		h.Get("X-Failed-Recipients") != "" ||
		bounceSubject.MatchString(rep.Subject) ||
		w.reportType == "delivery-status"
}

// decodeWords decodes RFC 2047 encoded words, keeping the text as it is when it cannot.
func decodeWords(s string) string {
	d := mime.WordDecoder{CharsetReader: func(charset string, in io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(io.LimitReader(in, 1<<20))
		if err != nil {
			return nil, err
		}
		return strings.NewReader(decodeCharset(b, charset)), nil
	}}
	if out, err := d.DecodeHeader(s); err == nil {
		return out
	}
	return s
}

// headerAddress returns the (first) address in a header value, lower-case, or "".
func headerAddress(v string) string {
	if a, err := mail.ParseAddress(v); err == nil {
		return cleanAddress(a.Address)
	}
	if m := addrInText.FindString(v); m != "" {
		return cleanAddress(m)
	}
	return ""
}

// headerAddresses lists the addresses of the headers that say where a message was delivered.
func headerAddresses(h mail.Header, max int) []string {
	var out []string
	for _, name := range []string{"X-Original-To", "Delivered-To", "To", "Cc"} {
		for _, v := range h[name] {
			for _, m := range addrInText.FindAllString(v, max) {
				if a := cleanAddress(m); !containsString(out, a) && len(out) < max {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// forwardedReport reads a delivery or feedback report that someone forwarded as an attachment
// (an administrator sending a bounce on to postmaster@, a provider forwarding a complaint): a
// message that has no report part of its own, with an attached message/rfc822 that is a
// multipart/report. It returns the attached report, marked Forwarded, or nil. Only one level is
// unpacked, and only reports: other forwarded mail stays what it is.
func forwardedReport(attached []byte, lim Limits) *Report {
	if attached == nil {
		return nil
	}
	h, err := mail.ReadMessage(bytes.NewReader(attached))
	if err != nil {
		return nil
	}
	if mt, _ := mediaType(h.Header.Get("Content-Type")); mt != "multipart/report" {
		return nil
	}
	inner, err := parse(attached, lim, false)
	if err != nil || (inner.Kind != KindDSN && inner.Kind != KindFeedback) {
		return nil
	}
	inner.Forwarded = true
	return inner
}
