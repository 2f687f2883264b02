package templates_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/templates"
)

// contact, company and brand carry the register's field names (templates does not import it).
type contact struct {
	Email, FirstName, LastName, JobTitle string
	Attributes                           map[string]any
}

type company struct{ Name, BusinessID string }

type brand struct{ Name, PostalAddress string }

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// urls is a recipient's tracking URLs; tracking off gives empty open and click URLs.
type urls struct{ off bool }

func (u urls) Open() string {
	if u.off {
		return ""
	}
	return "https://t.example.fi/o/TOKEN"
}

func (u urls) Click(id int) string {
	if u.off {
		return ""
	}
	return fmt.Sprintf("https://t.example.fi/c/TOKEN/%d", id)
}

func (u urls) Unsubscribe() string { return "https://t.example.fi/u/TOKEN" }

func sampleData() templates.Data {
	return templates.Data{
		Contact: contact{
			Email: "liisa.virtanen@example.fi", FirstName: "Liisa", LastName: "Virtanen",
			JobTitle: "Hankintapäällikkö", Attributes: map[string]any{"industry": "Rakennus"},
		},
		Company:  &company{Name: "Rakennus Oy", BusinessID: "1234567-8"},
		Brand:    brand{Name: "Acme Oy", PostalAddress: "Esimerkkikatu 1\n00100 Helsinki"},
		Campaign: map[string]any{"Name": "Kevät 2026"},
	}
}

const fragment = `<h1>Kevään uutuudet &amp; tarjoukset</h1>
<p>Hei {{ default "asiakas" .Contact.FirstName }}{{ with .Company }} ({{ .Name }}){{ end }},</p>
<p>katso <a class="btn" href="https://example.fi/kevat?utm_source=kirje&amp;utm_medium=email">kevään tarjoukset</a>
tai <a href='https://example.fi/hinnasto'>hinnasto</a>.<br>Toimialasi: {{ default "–" (index .Contact.Attributes "industry") }}.</p>
<ul><li>Uusi <a href="https://example.fi/kevat?utm_source=kirje&amp;utm_medium=email">mallisto</a></li>
<li>Soita <a href="tel:+358401234567">040 123 4567</a> tai <a href="mailto:myynti@example.fi">myynti@example.fi</a></li></ul>
<p>Verkossa: <a href="https://example.fi/">https://example.fi/</a></p>`

const document = `<!DOCTYPE html>
<html><head><title>{{ .Subject }}</title><style>p { color: red }</style></head>
<body>
<p>Hei {{ .Contact.FirstName }}!</p>
<p><a href="https://example.fi/a">Lue lisää</a> · <a href="#alku">alkuun</a> · <a href="/suhteellinen">suhteellinen</a></p>
<p><a href="{{ .UnsubscribeURL }}">Unsubscribe</a></p>
</body>
</html>`

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  templates.Source
		urls templates.URLs
	}{
		{"default_layout", templates.Source{Subject: "Kevät {{ .Contact.FirstName }}", HTML: fragment}, urls{}},
		{"default_layout_tracking_off", templates.Source{Subject: "Kevät", HTML: fragment}, urls{off: true}},
		{"explicit_text", templates.Source{
			Subject: "Hei", HTML: `<p>Hei <a href="https://example.fi/">meille</a></p>`,
			Text: "Hei {{ .Contact.FirstName }}, https://example.fi/",
		}, urls{}},
		{"layout_none", templates.Source{Subject: "Hei {{ .Contact.FirstName }}", HTML: document, Layout: templates.LayoutNone}, urls{}},
		{"layout_none_fragment", templates.Source{
			Subject: "x", HTML: `<p><a href="https://example.fi/">x</a> <a href="{{ .UnsubscribeURL }}">pois</a></p>`,
			Layout: templates.LayoutNone,
		}, urls{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := templates.Compile(tt.src)
			require.NoError(t, err)
			require.NoError(t, c.Validate(sampleData()))
			m, err := c.Render(sampleData(), tt.urls)
			require.NoError(t, err)
			got := fmt.Sprintf("Subject: %s\nLinks: %+v\n\n=== HTML ===\n%s\n=== TEXT ===\n%s\n", m.Subject, c.Links(), m.HTML, m.Text)
			golden(t, filepath.Join("testdata", tt.name+".golden"), got)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./templates -run Golden -update to create it")
	require.Equal(t, string(want), got)
}
