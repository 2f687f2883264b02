package templates

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzCompile feeds arbitrary HTML to Compile (with and without the layout) and the link
// rewriter: nothing may panic, link IDs are 1..n over absolute http(s) URLs, and HTML without
// tracked links comes out of the rewriter byte for byte.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`<p>Hei {{ .Contact.FirstName }} <a href="https://a.fi/?a=1&amp;b=2">x</a></p>`,
		`<a href='https://a.fi/' class=x>y</a><a href=https://b.fi/>z</a>`,
		`<html><body><a href="{{ .UnsubscribeURL }}">u</a></body></html>`,
		`<a href="mailto:x@y.fi">m</a><a href="#x">a</a><a href>b</a><a data-href="https://c.fi/">`,
		`<script>var a = "<a href='https://a.fi/'>";</script><!-- <a href="https://b.fi/"> -->`,
		`<a href="https://a.fi/{{ .X }}">t</a>{{ if .A }}<p>{{ end }}`,
		`<a href="https://a.fi/`, `<a`, `</`, `<<a href=">">`, "<a href=\x00>", `&#123;&#123;`,
		`<pre>  x </pre><table><tr><td>a<td>b</table><ul><li>1<li>2`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, layout := range []string{LayoutDefault, LayoutNone} {
			c, err := Compile(Source{Subject: "s", HTML: in, Layout: layout})
			if err != nil {
				continue
			}
			for i, l := range c.Links() {
				u, err := url.Parse(l.URL)
				if l.ID != i+1 || err != nil || u.Host == "" || !strings.HasPrefix(strings.ToLower(u.Scheme), "http") {
					t.Fatalf("bad link %d: %+v", i, l)
				}
			}
		}
		lt := newLinkTable("M-")
		out := rewriteLinks(in, lt, false)
		if len(lt.links) == 0 && out != in {
			t.Fatalf("rewriter changed HTML without tracked links:\n in: %q\nout: %q", in, out)
		}
		_ = deriveText(in, newLinkTable("M-"))
	})
}
