package templates_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/templates"
)

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  templates.Source
		part string
	}{
		{"subject", templates.Source{Subject: "{{ .Contact.FirstName ", HTML: "x"}, "subject"},
		{"html", templates.Source{Subject: "s", HTML: "{{ if .X }}x"}, "HTML"},
		{"text", templates.Source{Subject: "s", HTML: "x", Text: "{{ end }}"}, "text"},
		{"derived text", templates.Source{Subject: "s", HTML: `<div>{{ "<p>" }}</div>`}, "text derived from the HTML"},
		{"unsafe HTML context", templates.Source{Subject: "s", HTML: `<p title="{{ .Contact.FirstName }}>x</p>`}, "HTML"},
		{"unknown function", templates.Source{Subject: "{{ shout .X }}", HTML: "x"}, "subject"},
		{"unknown layout", templates.Source{Subject: "s", HTML: "x", Layout: "fancy"}, "unknown layout"},
		{"document in the default layout", templates.Source{Subject: "s", HTML: "<html><body>x</body></html>"}, "<html> or <body>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := templates.Compile(tt.src)
			require.ErrorIs(t, err, templates.ErrSyntax)
			assert.Contains(t, err.Error(), tt.part)
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     templates.Source
		data    func(d *templates.Data)
		wantErr error
		detail  string
	}{
		{name: "default layout", src: templates.Source{Subject: "s", HTML: "<p>Hei {{ .Contact.FirstName }}</p>"}},
		{"no link in HTML", templates.Source{Subject: "s", HTML: "<p>{{ .UnsubscribeURL }}</p>", Layout: templates.LayoutNone},
			nil, templates.ErrNoUnsubscribe, "HTML"},
		{"no URL in explicit text", templates.Source{Subject: "s", HTML: `<a href="{{ .UnsubscribeURL }}">pois</a>`, Text: "Hei", Layout: templates.LayoutNone},
			nil, templates.ErrNoUnsubscribe, "text"},
		{"no URL in explicit text, default layout keeps it", templates.Source{Subject: "s", HTML: "x", Text: "Hei"}, nil, nil, ""},
		{"unknown contact field", templates.Source{Subject: "s", HTML: "{{ .Contact.Nickname }}"}, nil, templates.ErrRender, "Nickname"},
		{"unknown field in subject", templates.Source{Subject: "{{ .Campaign.Nope }}", HTML: "x"}, nil, templates.ErrRender, "subject"},
		{"missing map key", templates.Source{Subject: "s", HTML: "{{ .Contact.Attributes.region }}"}, nil, templates.ErrRender, "region"},
		{"company needed but absent", templates.Source{Subject: "s", HTML: "{{ .Company.Name }}"}, nil, templates.ErrRender, "without a company"},
		{"company guarded", templates.Source{Subject: "s", HTML: "{{ with .Company }}{{ .Name }}{{ end }}"}, nil, nil, ""},
		{"sample without company", templates.Source{Subject: "s", HTML: "{{ .Company.Name }}"},
			func(d *templates.Data) { d.Company = (*company)(nil) }, templates.ErrRender, "nil pointer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := templates.Compile(tt.src)
			require.NoError(t, err)
			d := sampleData()
			if tt.data != nil {
				tt.data(&d)
			}
			err = c.Validate(d)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), tt.detail)
		})
	}
}

func TestRenderEmptyUnsubscribe(t *testing.T) {
	t.Parallel()
	c, err := templates.Compile(templates.Source{Subject: "s", HTML: "x"})
	require.NoError(t, err)
	_, err = c.Render(sampleData(), noUnsubscribe{})
	require.ErrorIs(t, err, templates.ErrNoUnsubscribe)
}

type noUnsubscribe struct{ urls }

func (noUnsubscribe) Unsubscribe() string { return "" }

func TestRenderEscapesMergeFields(t *testing.T) {
	t.Parallel()
	c, err := templates.Compile(templates.Source{Subject: "Hei {{ .Contact.FirstName }}\r\nBcc: x", HTML: "<p>{{ .Contact.FirstName }}</p>"})
	require.NoError(t, err)
	d := sampleData()
	d.Contact = contact{FirstName: `<script>alert("x")</script>`}
	m, err := c.Render(d, urls{})
	require.NoError(t, err)
	assert.NotContains(t, m.HTML, "<script>alert")
	assert.Contains(t, m.HTML, "&lt;script&gt;")
	assert.NotContains(t, m.Subject, "\n", "the subject is one line")
}

func TestRenderTooLarge(t *testing.T) {
	t.Parallel()
	c, err := templates.Compile(templates.Source{Subject: "s", HTML: `{{ range 5000000 }}x{{ end }}`})
	require.NoError(t, err)
	_, err = c.Render(sampleData(), urls{})
	require.ErrorIs(t, err, templates.ErrRender)
	assert.Contains(t, err.Error(), "exceeds")
}

// Render runs for many recipients at once: run it under -race.
func TestRenderConcurrent(t *testing.T) {
	t.Parallel()
	c, err := templates.Compile(templates.Source{Subject: "Hei {{ .Contact.FirstName }}", HTML: fragment})
	require.NoError(t, err)
	want, err := c.Render(sampleData(), urls{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				m, err := c.Render(sampleData(), urls{})
				if err != nil || m != want {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent render differs: %v", err)
	}
	assert.True(t, strings.HasPrefix(want.HTML, "<!DOCTYPE html>"))
}
