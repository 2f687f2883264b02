package templates

import (
	htmltemplate "html/template"
	"reflect"
	"strings"
)

// Helper functions merge fields can use, in both the HTML and the text part:
//
//	{{ default "Hei" .Contact.FirstName }}   the value, or the default when it is empty or blank
//	{{ .Contact.LastName | upper }}          upper, lower, trim
//	{{ nl2br .Brand.PostalAddress }}         line breaks as <br> in HTML (unchanged in text)
//
// Attributes are a map: {{ index .Contact.Attributes "industry" }}, or with a fallback
// {{ default "–" (index .Contact.Attributes "industry") }}.
func funcs(forHTML bool) map[string]any {
	f := map[string]any{
		"default": defaultValue,
		"upper":   strings.ToUpper,
		"lower":   strings.ToLower,
		"trim":    strings.TrimSpace,
		"nl2br":   func(s string) string { return s },
	}
	if forHTML {
		f["nl2br"] = nl2br
	}
	return f
}

// defaultValue returns v unless it is empty (nil, zero, blank string, empty map or slice).
func defaultValue(def, v any) any {
	if isEmpty(v) {
		return def
	}
	return v
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	if s, ok := v.(string); ok {
		return strings.TrimSpace(s) == ""
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Map, reflect.Slice, reflect.Array:
		return r.Len() == 0
	default:
		return r.IsZero()
	}
}

// nl2br escapes s for HTML and turns its line breaks into <br>.
func nl2br(s string) htmltemplate.HTML {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n")
	return htmltemplate.HTML(strings.ReplaceAll(htmltemplate.HTMLEscapeString(s), "\n", "<br>"))
}
