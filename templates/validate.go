package templates

import (
	"fmt"
	"reflect"
	"strings"

	nethtml "golang.org/x/net/html"
)

// Sentinel URLs Validate renders with.
const (
	sentinelUnsubscribe = "https://unsubscribe.invalid/kirje-validate"
	sentinelOpen        = "https://open.invalid/kirje-validate"
	sentinelClick       = "https://click.invalid/kirje-validate/"
)

type sentinelURLs struct{}

func (sentinelURLs) Open() string        { return sentinelOpen }
func (sentinelURLs) Click(id int) string { return fmt.Sprintf("%s%d", sentinelClick, id) }
func (sentinelURLs) Unsubscribe() string { return sentinelUnsubscribe }

// Validate renders the message for a sample recipient and checks that a campaign may be sent
// with it. It returns an error wrapping ErrRender when rendering fails — for the sample, or for
// a contact without a company when the sample has one (use {{ with .Company }}…{{ end }}) — and
// one wrapping ErrNoUnsubscribe, naming the part, when the HTML has no link (<a href>) to the
// unsubscribe URL or the text part does not show it.
func (c *Compiled) Validate(sample Data) error {
	m, err := c.Render(sample, sentinelURLs{})
	if err != nil {
		return fmt.Errorf("templates: validate: %w", err)
	}
	if !hasLinkTo(m.HTML, sentinelUnsubscribe) {
		return fmt.Errorf("templates: validate: %w: the HTML part has no <a href=\"{{ .UnsubscribeURL }}\">", ErrNoUnsubscribe)
	}
	if !strings.Contains(m.Text, sentinelUnsubscribe) {
		return fmt.Errorf("templates: validate: %w: the text part does not show {{ .UnsubscribeURL }}", ErrNoUnsubscribe)
	}
	if isNil(sample.Company) {
		return nil
	}
	noCompany := sample
	noCompany.Company = nil
	if _, err := c.Render(noCompany, sentinelURLs{}); err != nil {
		return fmt.Errorf("templates: validate: for a contact without a company "+
			"(wrap company fields in {{ with .Company }}…{{ end }}): %w", err)
	}
	return nil
}

// hasLinkTo reports whether rendered HTML has an <a> whose href is target.
func hasLinkTo(doc, target string) bool {
	z := nethtml.NewTokenizer(strings.NewReader(doc))
	for {
		switch z.Next() {
		case nethtml.ErrorToken:
			return false
		case nethtml.StartTagToken, nethtml.SelfClosingTagToken:
			name, more := z.TagName()
			if string(name) != "a" {
				continue
			}
			for more {
				var key, val []byte
				key, val, more = z.TagAttr()
				if string(key) == "href" && strings.TrimSpace(string(val)) == target {
					return true
				}
			}
		}
	}
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Interface, reflect.Slice:
		return r.IsNil()
	}
	return false
}
