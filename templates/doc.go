// Package templates renders campaign messages: the subject, an HTML part and a text part from
// html/template and text/template sources with merge fields, tracked links, the open pixel, the
// unsubscribe link and the embedded default layout with the brand's footer.
//
// Merge fields: {{ .Contact.FirstName }}, {{ .Brand.Name }}, {{ .Campaign.Name }},
// {{ .UnsubscribeURL }}, {{ .OpenURL }}, and in the HTML {{ .Subject }} (the rendered subject).
// A contact may have no company: guard company fields with {{ with .Company }}{{ .Name }}{{ end }}
// (Validate renders once without a company to catch the unguarded ones). Unknown fields and
// missing map keys fail the render instead of printing "<no value>". Helpers: default, upper,
// lower, trim, nl2br (see funcs.go).
//
// Compile does the expensive work once per campaign: parsing, contextual escaping, numbering
// tracked links (every <a href> to an absolute http(s) URL without a template action) and, when
// the text part is empty, deriving its template source from the HTML. Render then only executes
// and fills in the recipient's URLs; it is safe for concurrent use.
//
// It is pure: no I/O, no clock, nothing of Kirje's other packages. It does not make tokens or
// URLs (the URLs interface gives them) and does not know the register's types: the default
// layout reads .Brand.Name and .Brand.PostalAddress by name.
package templates
