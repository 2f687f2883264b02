package templates

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDeriveText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"paragraphs and headings", "<h1>Otsikko</h1>\n  <p>Eka\n   kappale.</p><p>Toka</p>", "Otsikko\n\nEka kappale.\n\nToka"},
		{"line breaks", "Rivi 1<br>Rivi 2<br/>Rivi 3", "Rivi 1\nRivi 2\nRivi 3"},
		{"entities decoded", "<p>A &amp; B &lt;3 &auml;&#228; &nbsp;x</p>", "A & B <3 ää \u00a0x"},
		{"tracked link", `<p>Katso <a href="https://a.fi/x">tarjous</a>.</p>`, "Katso tarjous (M-1;)."},
		{"URL as its own text", `<a href="https://a.fi/x">https://a.fi/x</a>`, "M-1;"},
		{"image link", `<a href="https://a.fi/x"><img src="b.png" alt="Logo"></a>`, "M-1;"},
		{"templated link", `<a href="{{ .UnsubscribeURL }}">Peru</a>`, "Peru ({{ .UnsubscribeURL }})"},
		{"mailto", `<a href="mailto:a@b.fi?subject=Hei">Kirjoita</a> <a href="mailto:a@b.fi">a@b.fi</a>`, "Kirjoita (a@b.fi) a@b.fi"},
		{"anchor and relative", `<a href="#x">ylös</a> <a href="/y">y</a>`, "ylös y"},
		{"actions kept verbatim", `<p>Hei {{ default "asiakas"   .Contact.FirstName }}!</p>{{ if .Company }}<p>{{ .Company.Name }}</p>{{ end }}`,
			"Hei {{ default \"asiakas\"   .Contact.FirstName }}!\n\n{{ if .Company }}\n\n{{ .Company.Name }}\n\n{{ end }}"},
		{"script style title dropped", `<title>T</title><style>p{}</style><script>x()</script><p>Teksti</p>`, "Teksti"},
		{"list", `<ul><li>Yksi</li><li>Kaksi</li></ul><p>Loppu</p>`, "- Yksi\n- Kaksi\n\nLoppu"},
		{"table cells", `<table><tr><td>A</td><td>B</td></tr><tr><td>C</td></tr></table>`, "A B\nC"},
		{"pre keeps spaces", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"decoded braces are not actions", `<p>&#123;&#123; .X }}</p>`, `{{"{{"}} .X }}`},
		{"hr", `<p>a</p><hr><p>b</p>`, "a\n\n---\n\nb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, deriveText(tt.in, newLinkTable("M-")))
		})
	}
}

func TestDeriveTextSharesLinkIDs(t *testing.T) {
	t.Parallel()
	lt := newLinkTable("M-")
	src := `<a href="https://a.fi/">a</a> <a href="https://b.fi/">b</a>`
	rewriteLinks(src, lt, false)
	assert.Equal(t, "a (M-1;) b (M-2;)", deriveText(src, lt))
	assert.Len(t, lt.links, 2)
}
