package templates

import "errors"

// Errors callers can tell apart (wrapped with detail).
var (
	// ErrSyntax: a subject, HTML or text template does not parse.
	ErrSyntax = errors.New("template syntax error")
	// ErrRender: a template failed to execute (e.g. an unknown merge field).
	ErrRender = errors.New("template render error")
	// ErrNoUnsubscribe: a rendered part carries no unsubscribe link.
	ErrNoUnsubscribe = errors.New("template has no unsubscribe link")
)

// Layouts.
const (
	LayoutDefault = "default" // the embedded layout with the brand's footer (postal address, unsubscribe link)
	LayoutNone    = "none"    // the body as written; it must carry {{ .UnsubscribeURL }} itself
)

// Source is a campaign's message as the marketer wrote it.
type Source struct {
	Subject string // text/template
	HTML    string // html/template
	Text    string // text/template; "" derives the text part from the HTML
	Layout  string // LayoutDefault ("" means default) or LayoutNone
}

// Link is a link the HTML carries that is tracked: its ID goes into click tokens and its URL is
// the only place a click may redirect to.
type Link struct {
	ID       int    `json:"id"`
	URL      string `json:"url"`
	Honeypot bool   `json:"honeypot,omitempty"` // hidden from people; a hit marks the click as machine
}

// Data is what merge fields see: {{ .Contact.FirstName }}, {{ .Company.Name }}, {{ .Brand.Name }},
// {{ .Campaign.Name }}. The values are the register's structs; templates does not know their types.
type Data struct {
	Contact  any
	Company  any
	Brand    any
	Campaign any
}

// URLs gives the per-recipient tracking URLs. An empty string turns the feature off for this
// message: no pixel for Open, the original URL for Click. Unsubscribe must never be empty.
type URLs interface {
	Open() string
	Click(linkID int) string
	Unsubscribe() string
}

// Message is a rendered message.
type Message struct {
	Subject string
	HTML    string
	Text    string
}
