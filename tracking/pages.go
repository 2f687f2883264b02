package tracking

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

//go:embed pages/*.html
var pageFiles embed.FS

// pageStyle is the one inline stylesheet; the CSP allows exactly this text by its hash.
const pageStyle = `body{font:1.05rem/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}` +
	`main{max-width:36rem;margin:2rem auto;padding:0 1rem}h1{font-size:1.5rem}` +
	`.lang{text-align:right}a{color:#0645ad}fieldset{border:1px solid #767676;padding:.5rem 1rem}` +
	`label{margin-left:.25rem}button{font:inherit;padding:.5rem 1.25rem;border:2px solid #0b5394;` +
	`border-radius:4px;background:#0b5394;color:#fff;cursor:pointer}button.secondary{background:#fff;color:#0b5394}` +
	`button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #f90;outline-offset:2px}`

// langName returns a language's name in itself (for the switch link), or "" for a language the
// pages do not speak.
func langName(lang string) string {
	switch lang {
	case "fi":
		return "Suomeksi"
	case "en":
		return "In English"
	}
	return ""
}

// Page names.
const (
	pageForm          = "form"
	pageDone          = "done"
	pageUndone        = "undone"
	pageNothingToUndo = "nothing"
	pageUnavailable   = "unavailable"
	pageInvalid       = "invalid"
)

// pages renders the unsubscribe pages: one template set per language.
type pages struct {
	byLang      map[string]*template.Template
	onward      *template.Template // the link page of a click that could not be recorded
	defaultLang string
	csp         []string
}

// view is what a page template sees.
type view struct {
	Page      string
	Lang      string
	Other     string // the other language, for the switch link
	OtherName string
	Switch    bool
	Brand     string
	Address   string // masked
	Scope     string
	Style     template.CSS
}

func newPages(defaultLang string) (*pages, error) {
	if defaultLang == "" {
		defaultLang = "fi"
	}
	if langName(defaultLang) == "" {
		return nil, fmt.Errorf("default language %q: want fi or en", defaultLang)
	}
	p := &pages{byLang: make(map[string]*template.Template), defaultLang: defaultLang}
	for _, lang := range []string{"fi", "en"} {
		t, err := template.ParseFS(pageFiles, "pages/layout.html", "pages/"+lang+".html")
		if err != nil {
			return nil, fmt.Errorf("pages: %w", err)
		}
		p.byLang[lang] = t
	}
	p.onward = template.Must(template.New("onward").Parse(onwardPage))
	sum := sha256.Sum256([]byte(pageStyle))
	p.csp = []string{"default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"}
	return p, nil
}

// onwardPage offers a click's stored target as a plain link.
const onwardPage = `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>…</title></head>
<body><p><a href="{{.}}">{{.}}</a></p></body></html>
`

// render writes page v with status. It renders into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (p *pages) render(w http.ResponseWriter, status int, v view) {
	v.Style = template.CSS(pageStyle)
	v.Other = "en"
	if v.Lang == "en" {
		v.Other = "fi"
	}
	v.OtherName = langName(v.Other)
	v.Switch = v.Page == pageForm || v.Page == pageInvalid
	var buf bytes.Buffer
	if err := p.byLang[v.Lang].ExecuteTemplate(&buf, "layout", v); err != nil {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr["Content-Type"] = hTextHTML
	hdr["Content-Security-Policy"] = p.csp
	hdr["X-Frame-Options"] = []string{"DENY"}
	hdr["Cache-Control"] = hNoStore
	hdr["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	if status == http.StatusServiceUnavailable {
		hdr["Retry-After"] = hRetryAfter
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// lang picks the page language: an explicit choice (the switch link's ?lang= or the form's
// lang field), else the best of fi and en in Accept-Language, else the default.
func (p *pages) lang(r *http.Request, explicit string) string {
	if langName(explicit) != "" {
		return explicit
	}
	if q := r.URL.Query().Get("lang"); langName(q) != "" {
		return q
	}
	if l := preferredLang(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return p.defaultLang
}

// preferredLang returns "fi" or "en", whichever Accept-Language ranks higher (earlier wins a
// tie), or "" if it names neither. Tags match on their primary subtag ("en-GB" is en).
func preferredLang(header string) string {
	best, bestQ := "", 0.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if langName(primary) == "" {
			continue
		}
		q, ok := weight(params)
		if ok && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// weight returns the q parameter among a language range's parameters (1 when absent) and false
// when it is malformed.
func weight(params string) (float64, bool) {
	for p := range strings.SplitSeq(params, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return q, err == nil && q >= 0 && q <= 1
		}
	}
	return 1, true
}
