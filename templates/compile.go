package templates

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	"sync"
	texttemplate "text/template"

	nethtml "golang.org/x/net/html"
)

var (
	//go:embed layout/default.html
	defaultLayoutHTML string
	//go:embed layout/default.txt
	defaultLayoutText string
)

// Compiled is a campaign's message parsed once and rendered for many recipients. It is safe for
// concurrent use.
type Compiled struct {
	subject *texttemplate.Template
	html    *htmltemplate.Template
	text    *texttemplate.Template
	links   []Link
	marker  []byte    // the tracked links' placeholder prefix: see linkTable
	bufs    sync.Pool // *capBuffer
}

// Compile parses a message. It returns an error wrapping ErrSyntax, naming the part, when the
// subject, HTML or text does not parse (or, for a derived text part, does not derive into a
// valid template), or when the layout is unknown. Links are numbered here: see Links.
func Compile(src Source) (*Compiled, error) {
	wrap := src.Layout == "" || src.Layout == LayoutDefault
	if !wrap && src.Layout != LayoutNone {
		return nil, fmt.Errorf("templates: compile: %w: unknown layout %q", ErrSyntax, src.Layout)
	}
	if wrap && hasDocument(src.HTML) {
		return nil, fmt.Errorf("templates: compile: %w: HTML: the default layout wraps a fragment, "+
			"but the HTML has its own <html> or <body>: use the layout %q", ErrSyntax, LayoutNone)
	}
	c := &Compiled{}
	c.bufs.New = func() any { return new(capBuffer) }
	lt := newLinkTable(markerFor(src))
	var err error
	if c.subject, err = newText("subject").Parse(src.Subject); err != nil {
		return nil, syntaxError("subject", err)
	}
	if c.html, err = compileHTML(src.HTML, wrap, lt); err != nil {
		return nil, err
	}
	text, part := src.Text, "text"
	if text == "" {
		text, part = deriveText(src.HTML, lt), "text derived from the HTML (give a text part instead)"
	}
	if c.text, err = compileText(text, wrap); err != nil {
		return nil, syntaxError(part, err)
	}
	c.links, c.marker = lt.links, []byte(lt.marker)
	return c, nil
}

// markerFor derives the link placeholder prefix from the source, so Compile stays deterministic.
func markerFor(src Source) string {
	h := sha256.New()
	for _, s := range []string{src.Subject, src.HTML, src.Text, src.Layout} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "kirje-link-" + hex.EncodeToString(h.Sum(nil)[:8]) + "-"
}

func compileHTML(body string, wrap bool, lt *linkTable) (*htmltemplate.Template, error) {
	t := htmltemplate.New("html").Funcs(funcs(true)).Option("missingkey=error")
	var err error
	if !wrap {
		_, err = t.Parse(rewriteLinks(body, lt, true))
	} else if _, err = t.Parse(rewriteLinks(defaultLayoutHTML, lt, false)); err == nil {
		_, err = t.New("body").Parse(rewriteLinks(body, lt, false))
	}
	if err != nil {
		return nil, syntaxError("HTML", err)
	}
	if err := checkEscaping(t); err != nil {
		return nil, syntaxError("HTML", err)
	}
	return t, nil
}

func compileText(body string, wrap bool) (*texttemplate.Template, error) {
	t := newText("text")
	if !wrap {
		return t.Parse(body)
	}
	if _, err := t.Parse(defaultLayoutText); err != nil {
		return nil, err
	}
	if _, err := t.New("body").Parse(body); err != nil {
		return nil, err
	}
	return t, nil
}

func newText(name string) *texttemplate.Template {
	return texttemplate.New(name).Funcs(funcs(false)).Option("missingkey=error")
}

// checkEscaping makes html/template's contextual escaping run now, so an HTML whose actions sit
// where no safe escaping exists fails at Compile rather than at the first recipient. It escapes
// a clone through a template that calls the message but never runs it: nothing is executed.
func checkEscaping(t *htmltemplate.Template) error {
	probe, err := t.Clone()
	if err != nil {
		return err
	}
	if _, err := probe.New("kirje-probe").Parse(`{{ if false }}{{ template "html" . }}{{ end }}`); err != nil {
		return err
	}
	return probe.ExecuteTemplate(io.Discard, "kirje-probe", nil)
}

// hasDocument reports whether HTML carries its own <html> or <body> element.
func hasDocument(src string) bool {
	z := nethtml.NewTokenizer(strings.NewReader(src))
	for {
		switch z.Next() {
		case nethtml.ErrorToken:
			return false
		case nethtml.StartTagToken:
			if name, _ := z.TagName(); string(name) == "html" || string(name) == "body" {
				return true
			}
		}
	}
}

func syntaxError(part string, err error) error {
	return fmt.Errorf("templates: compile: %w: %s: %w", ErrSyntax, part, err)
}

// Links returns the tracked links in ID order (IDs start at 1), including the default layout's
// honeypot (Honeypot set). The caller stores them with the campaign: a click's link ID is looked
// up here, and the click redirects only to a stored URL.
func (c *Compiled) Links() []Link { return append([]Link(nil), c.links...) }
