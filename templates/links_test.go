package templates

import (
	"html"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRewriteLinks(t *testing.T) {
	t.Parallel()
	const one = `"M-1;"`
	tests := []struct {
		name  string
		in    string
		want  string
		links []string
	}{
		{"double quotes", `<a href="https://a.fi/x">x</a>`, `<a href=` + one + `>x</a>`, []string{"https://a.fi/x"}},
		{"single quotes", `<a href='https://a.fi/x'>x</a>`, `<a href=` + one + `>x</a>`, []string{"https://a.fi/x"}},
		{"unquoted", `<a href=https://a.fi/x>x</a>`, `<a href=` + one + `>x</a>`, []string{"https://a.fi/x"}},
		{"attribute order and spacing", `<a class="b" title='t' HREF = "https://a.fi/x" target=_blank>x</a>`,
			`<a class="b" title='t' HREF = ` + one + ` target=_blank>x</a>`, []string{"https://a.fi/x"}},
		{"entities decoded once", `<a href="https://a.fi/?a=1&amp;b=2">x</a>`, `<a href=` + one + `>x</a>`, []string{"https://a.fi/?a=1&b=2"}},
		{"http and upper-case scheme", `<a href="HTTP://A.fi/">x</a>`, `<a href=` + one + `>x</a>`, []string{"HTTP://A.fi/"}},
		{"same URL one ID", `<a href="https://a.fi/">1</a><a href="https://b.fi/">2</a><a href='https://a.fi/'>3</a>`,
			`<a href=` + one + `>1</a><a href="M-2;">2</a><a href=` + one + `>3</a>`, []string{"https://a.fi/", "https://b.fi/"}},
		{"first href wins", `<a href="https://a.fi/" href="https://b.fi/">x</a>`, `<a href=` + one + ` href="https://b.fi/">x</a>`, []string{"https://a.fi/"}},
		{"data-href is not href", `<a data-href="https://a.fi/">x</a>`, `<a data-href="https://a.fi/">x</a>`, nil},
		{"mailto", `<a href="mailto:a@b.fi">x</a>`, `<a href="mailto:a@b.fi">x</a>`, nil},
		{"tel", `<a href="tel:+358401">x</a>`, `<a href="tel:+358401">x</a>`, nil},
		{"anchor", `<a href="#top">x</a>`, `<a href="#top">x</a>`, nil},
		{"relative", `<a href="/x/y">x</a>`, `<a href="/x/y">x</a>`, nil},
		{"protocol relative", `<a href="//a.fi/x">x</a>`, `<a href="//a.fi/x">x</a>`, nil},
		{"javascript", `<a href="javascript:alert(1)">x</a>`, `<a href="javascript:alert(1)">x</a>`, nil},
		{"templated", `<a href="{{ .UnsubscribeURL }}">x</a>`, `<a href="{{ .UnsubscribeURL }}">x</a>`, nil},
		{"partly templated", `<a href="https://a.fi/?id={{ .Contact.ID }}">x</a>`, `<a href="https://a.fi/?id={{ .Contact.ID }}">x</a>`, nil},
		{"no value", `<a href>x</a><a name="n">y</a>`, `<a href>x</a><a name="n">y</a>`, nil},
		{"in a comment", `<!-- <a href="https://a.fi/">x</a> -->`, `<!-- <a href="https://a.fi/">x</a> -->`, nil},
		{"in a script", `<script>s = '<a href="https://a.fi/">';</script>`, `<script>s = '<a href="https://a.fi/">';</script>`, nil},
		{"not an anchor", `<link href="https://a.fi/s.css"><area href="https://a.fi/">`, `<link href="https://a.fi/s.css"><area href="https://a.fi/">`, nil},
		{"self-closing", `<a href="https://a.fi/"/>`, `<a href=` + one + `/>`, []string{"https://a.fi/"}},
		{"unterminated tag kept", `<p>x</p><a href="https://a.fi/`, `<p>x</p><a href="https://a.fi/`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lt := newLinkTable("M-")
			assert.Equal(t, tt.want, rewriteLinks(tt.in, lt, false))
			var urls []string
			for i, l := range lt.links {
				require.Equal(t, i+1, l.ID)
				urls = append(urls, l.URL)
			}
			assert.Equal(t, tt.links, urls)
		})
	}
}

func TestRewriteLinksPixel(t *testing.T) {
	t.Parallel()
	got := rewriteLinks(`<html><body><p>x</p></body></html>`, newLinkTable("M-"), true)
	assert.Equal(t, `<html><body><p>x</p>`+openPixel+`</body></html>`, got)
	got = rewriteLinks(`<p>x</p>`, newLinkTable("M-"), true)
	assert.Equal(t, `<p>x</p>`+openPixel, got)
}

func TestHoneypotLink(t *testing.T) {
	t.Parallel()
	c, err := Compile(Source{Subject: "s", HTML: `<p><a href="https://a.fi/">a</a></p>`})
	require.NoError(t, err)
	assert.Equal(t, []Link{{ID: 1, URL: HoneypotURL, Honeypot: true}, {ID: 2, URL: "https://a.fi/"}}, c.Links())

	c, err = Compile(Source{Subject: "s", HTML: `<a href="https://a.fi/">a</a>`, Layout: LayoutNone})
	require.NoError(t, err)
	assert.Equal(t, []Link{{ID: 1, URL: "https://a.fi/"}}, c.Links(), "no layout, no honeypot")
}

type clickURLs struct{}

func (clickURLs) Open() string { return "" }
func (clickURLs) Click(id int) string {
	if id == 2 {
		return "" // not tracked: the link's own URL
	}
	return "https://t.fi/c/" + strconv.Itoa(id) + "?a&b"
}
func (clickURLs) Unsubscribe() string { return "https://t.fi/u" }

func TestFillLinks(t *testing.T) {
	t.Parallel()
	c := &Compiled{marker: []byte("M-"), links: []Link{{ID: 1, URL: "https://a.fi/"}, {ID: 2, URL: "https://b.fi/?x=1&y=2"}}}
	tests := []struct{ in, html, text string }{
		{"a M-1; b M-2; c", "a https://t.fi/c/1?a&amp;b b https://b.fi/?x=1&amp;y=2 c", "a https://t.fi/c/1?a&b b https://b.fi/?x=1&y=2 c"},
		{"no links", "no links", "no links"},
		{"M-3; M-x; M-1", "M-3; M-x; M-1", "M-3; M-x; M-1"},
		{"M-1;M-1;", "https://t.fi/c/1?a&amp;bhttps://t.fi/c/1?a&amp;b", "https://t.fi/c/1?a&bhttps://t.fi/c/1?a&b"},
	}
	for _, tt := range tests {
		urls := &countingURLs{}
		clicks := make([]string, len(c.links)) // shared by the parts of one message
		assert.Equal(t, tt.html, c.fillLinks([]byte(tt.in), urls, clicks, html.EscapeString), tt.in)
		assert.Equal(t, tt.text, c.fillLinks([]byte(tt.in), urls, clicks, nil), tt.in)
		for id, n := range urls.calls {
			assert.Equal(t, 1, n, "%q: link %d's URL made %d times for one message", tt.in, id, n)
		}
	}
}

// countingURLs are clickURLs that count how often each click URL is made.
type countingURLs struct {
	clickURLs
	calls map[int]int
}

func (u *countingURLs) Click(id int) string {
	if u.calls == nil {
		u.calls = map[int]int{}
	}
	u.calls[id]++
	return u.clickURLs.Click(id)
}

// Render signs each link's click URL once per message, though both parts carry it.
func TestRenderMakesEachClickURLOnce(t *testing.T) {
	t.Parallel()
	c, err := Compile(Source{Subject: "s", Layout: LayoutNone,
		HTML: `<p><a href="https://a.fi/">a</a> <a href="https://b.fi/">b</a> <a href="https://a.fi/">a again</a></p>`})
	require.NoError(t, err)
	urls := &countingURLs{}
	m, err := c.Render(Data{}, urls)
	require.NoError(t, err)
	require.Len(t, urls.calls, 2)
	for id, n := range urls.calls {
		assert.Equal(t, 1, n, "link %d's URL made %d times for one message", id, n)
	}
	assert.Contains(t, m.HTML, "https://t.fi/c/1?a&amp;b")
	assert.Contains(t, m.Text, "https://t.fi/c/1?a&b")
}
