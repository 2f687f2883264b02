package templates

import (
	"html"
	"regexp"
	"strings"

	nethtml "golang.org/x/net/html"
)

// Elements whose content is not text a reader sees.
var skipped = map[string]bool{"script": true, "style": true, "title": true, "noscript": true, "template": true}

// Elements that start and end a paragraph (a blank line) or a line.
var (
	paragraphs = map[string]bool{
		"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"ul": true, "ol": true, "table": true, "blockquote": true, "pre": true, "dl": true,
	}
	lines = map[string]bool{
		"div": true, "tr": true, "li": true, "section": true, "article": true, "header": true,
		"footer": true, "dt": true, "dd": true, "center": true, "address": true,
	}
)

// deriveText turns an HTML template source into a plain-text template source: text and template
// actions in document order, block elements as line breaks, links as "text (url)" with tracked
// URLs as placeholders for the per-recipient click URL. It runs once at Compile, so rendering the text part
// costs no more than a hand-written one.
func deriveText(src string, lt *linkTable) string {
	d := &deriver{lt: lt}
	z := nethtml.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		if tt == nethtml.ErrorToken {
			break
		}
		name, _ := z.TagName()
		switch tt {
		case nethtml.TextToken:
			d.text(string(z.Raw()))
		case nethtml.StartTagToken, nethtml.SelfClosingTagToken:
			d.start(string(name), string(z.Raw()), tt == nethtml.SelfClosingTagToken)
		case nethtml.EndTagToken:
			d.end(string(name))
		}
	}
	return tidy(d.out.String())
}

type deriver struct {
	lt   *linkTable
	out  strings.Builder
	skip int // inside script, style…
	pre  int // inside <pre>: whitespace kept

	inLink    bool
	linkStart int    // where the link's text began in out
	linkURL   string // what to show after the link's text; "" shows nothing
	linkHref  string // the href as written, entities decoded
}

func (d *deriver) start(name, raw string, selfClosing bool) {
	switch {
	case skipped[name]:
		if !selfClosing {
			d.skip++
		}
	case name == "br":
		d.out.WriteString("\n")
	case name == "hr":
		d.brk(2)
		d.out.WriteString("---")
		d.brk(2)
	case name == "li":
		d.brk(1)
		d.out.WriteString("- ")
	case name == "pre":
		d.brk(2)
		d.pre++
	case paragraphs[name]:
		d.brk(2)
	case lines[name]:
		d.brk(1)
	case name == "td" || name == "th":
		d.literal(" ")
	case name == "a" && !selfClosing:
		d.inLink, d.linkStart = true, d.out.Len()
		d.linkURL, d.linkHref = d.shownURL(raw)
	}
}

func (d *deriver) end(name string) {
	switch {
	case skipped[name]:
		if d.skip > 0 {
			d.skip--
		}
	case name == "pre":
		if d.pre > 0 {
			d.pre--
		}
		d.brk(2)
	case paragraphs[name]:
		d.brk(2)
	case lines[name]:
		d.brk(1)
	case name == "a" && d.inLink:
		d.inLink = false
		text := strings.TrimSpace(d.out.String()[d.linkStart:])
		switch {
		case d.linkURL == "" || text == d.linkURL:
		case text == "" || text == d.linkHref:
			// The URL itself is the link's text: show it once, as the click URL.
			s := d.out.String()[:d.linkStart]
			d.out.Reset()
			d.out.WriteString(s)
			d.out.WriteString(d.linkURL)
		default:
			d.out.WriteString(" (" + d.linkURL + ")")
		}
	}
}

// shownURL is what the text part shows for a link: the click URL action for a tracked URL, the
// action itself for a templated href ({{ .UnsubscribeURL }}), the address of a mailto:, and
// nothing for anchors, relative links and tel:.
func (d *deriver) shownURL(tag string) (shown, href string) {
	raw, ok := hrefValue(tag)
	if !ok {
		return "", ""
	}
	raw = strings.TrimSpace(raw)
	if u, ok := trackedURL(raw); ok {
		return d.lt.placeholder(d.lt.id(u)), u
	}
	if strings.HasPrefix(raw, "{{") && strings.HasSuffix(raw, "}}") && strings.Count(raw, "{{") == 1 {
		return raw, ""
	}
	v := html.UnescapeString(raw)
	if len(v) > 7 && strings.EqualFold(v[:7], "mailto:") && !strings.Contains(v, "{{") {
		addr, _, _ := strings.Cut(v[7:], "?")
		return escapeActions(addr), addr
	}
	return "", ""
}

// text writes a text token: actions verbatim, the rest with entities decoded and (outside <pre>)
// whitespace collapsed as a browser would.
func (d *deriver) text(raw string) {
	if d.skip > 0 {
		return
	}
	for raw != "" {
		i := strings.Index(raw, "{{")
		lit := raw
		if i >= 0 {
			lit = raw[:i]
		}
		d.literal(lit)
		if i < 0 {
			return
		}
		raw = raw[i:]
		j := strings.Index(raw, "}}")
		if j < 0 {
			d.out.WriteString(raw) // an unclosed action: the text template's parser will say so
			return
		}
		d.out.WriteString(raw[:j+2])
		raw = raw[j+2:]
	}
}

func (d *deriver) literal(s string) {
	s = escapeActions(html.UnescapeString(s))
	if d.pre > 0 {
		d.out.WriteString(s)
		return
	}
	s = collapseSpace(s)
	if s == " " || strings.HasPrefix(s, " ") {
		if cur := d.out.String(); cur == "" || strings.HasSuffix(cur, "\n") || strings.HasSuffix(cur, " ") {
			s = s[1:]
		}
	}
	d.out.WriteString(s)
}

// brk ends the current line and, for n = 2, leaves a blank line; never at the very start.
func (d *deriver) brk(n int) {
	cur := strings.TrimRight(d.out.String(), " ")
	if cur == "" {
		return
	}
	have := len(cur) - len(strings.TrimRight(cur, "\n"))
	if have < n {
		d.out.WriteString(strings.Repeat("\n", n-have))
	}
}

var spaceRun = regexp.MustCompile(`[ \t\r\n\f]+`)

func collapseSpace(s string) string { return spaceRun.ReplaceAllString(s, " ") }

// escapeActions keeps decoded text such as "&#123;&#123;" from becoming a template action.
func escapeActions(s string) string { return strings.ReplaceAll(s, "{{", `{{"{{"}}`) }

var (
	trailingSpace = regexp.MustCompile(`(?m)[ \t]+$`)
	blankLines    = regexp.MustCompile(`\n{3,}`)
)

// tidy trims the lines and keeps at most one blank line between paragraphs.
func tidy(s string) string {
	s = trailingSpace.ReplaceAllString(s, "")
	s = blankLines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}
