package templates

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
)

// MaxPartBytes bounds each rendered part, so a runaway template fails instead of filling memory.
const MaxPartBytes = 4 << 20

var errTooLarge = fmt.Errorf("rendered part exceeds %d bytes", MaxPartBytes)

// execData is what the templates execute on: Data's merge fields plus the recipient's URLs.
type execData struct {
	Contact        any
	Company        any
	Brand          any
	Campaign       any
	Subject        string // the rendered subject, for the HTML <title>
	UnsubscribeURL string
	OpenURL        string
}

// capBuffer is a pooled output buffer that refuses to grow past MaxPartBytes.
type capBuffer struct{ bytes.Buffer }

func (b *capBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > MaxPartBytes {
		return 0, errTooLarge
	}
	return b.Buffer.Write(p)
}

// Render renders the message for one recipient. It returns an error wrapping ErrRender when a
// template fails to execute (an unknown merge field, a nil company dereferenced, a part over
// MaxPartBytes), and one wrapping ErrNoUnsubscribe when urls has no unsubscribe URL. It is safe
// for concurrent use and parses nothing.
func (c *Compiled) Render(d Data, urls URLs) (Message, error) {
	x := &execData{
		Contact: d.Contact, Company: d.Company, Brand: d.Brand, Campaign: d.Campaign,
		UnsubscribeURL: urls.Unsubscribe(), OpenURL: urls.Open(),
	}
	if x.UnsubscribeURL == "" {
		return Message{}, fmt.Errorf("templates: render: %w: empty unsubscribe URL", ErrNoUnsubscribe)
	}
	buf := c.bufs.Get().(*capBuffer)
	defer c.putBuffer(buf)

	var m Message
	if err := c.subject.Execute(buf, x); err != nil {
		return Message{}, renderError("subject", err)
	}
	m.Subject = oneLine(buf.String())
	x.Subject = m.Subject

	buf.Reset()
	if err := c.html.Execute(buf, x); err != nil {
		return Message{}, renderError("HTML", err)
	}
	// Both parts carry the same links: each click URL is signed once, for the first part that
	// has it.
	clicks := make([]string, len(c.links))
	m.HTML = c.fillLinks(buf.Bytes(), urls, clicks, html.EscapeString)

	buf.Reset()
	if err := c.text.Execute(buf, x); err != nil {
		return Message{}, renderError("text", err)
	}
	m.Text = c.fillLinks(buf.Bytes(), urls, clicks, nil)
	return m, nil
}

// fillLinks copies out into a string with each tracked link's placeholder replaced by the
// recipient's click URL, or by the link's own URL when clicks are not tracked for them.
// clicks[id-1] keeps link id's URL once made, for the next part.
func (c *Compiled) fillLinks(out []byte, urls URLs, clicks []string, escape func(string) string) string {
	var sb strings.Builder
	sb.Grow(len(out) + 64*len(c.links))
	for {
		i := bytes.Index(out, c.marker)
		if i < 0 {
			sb.Write(out)
			return sb.String()
		}
		sb.Write(out[:i])
		out = out[i+len(c.marker):]
		end := bytes.IndexByte(out, ';')
		id, err := strconv.Atoi(string(out[:max(end, 0)]))
		if end < 0 || err != nil || id < 1 || id > len(c.links) {
			sb.Write(c.marker) // not ours after all: leave it as it was
			continue
		}
		out = out[end+1:]
		u := clicks[id-1]
		if u == "" {
			if u = urls.Click(id); u == "" {
				u = c.links[id-1].URL
			}
			clicks[id-1] = u
		}
		if escape != nil {
			u = escape(u)
		}
		sb.WriteString(u)
	}
}

func (c *Compiled) putBuffer(b *capBuffer) {
	if b.Cap() > 1<<20 {
		return // let an unusually large message's buffer go
	}
	b.Reset()
	c.bufs.Put(b)
}

func renderError(part string, err error) error {
	if errors.Is(err, errTooLarge) {
		return fmt.Errorf("templates: render: %w: %s: %w", ErrRender, part, errTooLarge)
	}
	return fmt.Errorf("templates: render: %w: %s: %w", ErrRender, part, err)
}

// oneLine makes a rendered subject a single header-safe line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
