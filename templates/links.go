package templates

import (
	"html"
	"net/url"
	"strconv"
	"strings"

	nethtml "golang.org/x/net/html"
)

// HoneypotURL is the URL of the default layout's hidden link. Nobody is ever redirected to it:
// a click on the honeypot's link ID marks the click as a machine's.
const HoneypotURL = "https://honeypot.invalid/"

// linkTable numbers tracked URLs in order of first appearance; one URL gets one ID.
//
// A tracked href becomes a placeholder, marker + ID + ";", that Render replaces with the
// recipient's click URL after executing the template. Static text costs html/template nothing,
// where an action per link would cost a chain of reflective escaper calls — half of the render
// time in BenchmarkRender. The marker carries a digest of the campaign's source, so merge field
// values cannot forge one.
type linkTable struct {
	links  []Link
	byURL  map[string]int
	marker string // e.g. "kirje-link-0123456789abcdef-"
}

func newLinkTable(marker string) *linkTable {
	return &linkTable{byURL: map[string]int{}, marker: marker}
}

// placeholder is what a tracked link's URL is in the template source.
func (lt *linkTable) placeholder(id int) string { return lt.marker + strconv.Itoa(id) + ";" }

func (lt *linkTable) id(u string) int {
	if id, ok := lt.byURL[u]; ok {
		return id
	}
	id := len(lt.links) + 1
	lt.links = append(lt.links, Link{ID: id, URL: u, Honeypot: u == HoneypotURL})
	lt.byURL[u] = id
	return id
}

// trackedURL reports whether an href attribute value (as written, entities not yet decoded) is
// a link Kirje tracks: an absolute http(s) URL with no template action in it. It returns the URL
// with entities decoded.
func trackedURL(raw string) (string, bool) {
	if strings.Contains(raw, "{{") {
		return "", false
	}
	u := strings.TrimSpace(html.UnescapeString(raw))
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(p.Scheme)
	return u, scheme == "http" || scheme == "https"
}

// rewriteLinks returns src with the href of every tracked <a> replaced by its placeholder,
// numbering the URLs in lt. With pixel set, the open pixel goes before
// the last </body>, or at the end when there is none. Everything else is copied byte for byte:
// the tokenizer only tells where tags are; the template source stays the marketer's.
func rewriteLinks(src string, lt *linkTable, pixel bool) string {
	var out strings.Builder
	out.Grow(len(src) + 256)
	bodyEnd := -1
	z := nethtml.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		raw := string(z.Raw())
		switch tt {
		case nethtml.StartTagToken, nethtml.SelfClosingTagToken:
			if name, _ := z.TagName(); string(name) == "a" {
				raw = rewriteHref(raw, lt)
			}
		case nethtml.EndTagToken:
			if name, _ := z.TagName(); string(name) == "body" {
				bodyEnd = out.Len()
			}
		}
		out.WriteString(raw)
		if tt == nethtml.ErrorToken {
			break
		}
	}
	if !pixel {
		return out.String()
	}
	s := out.String()
	if bodyEnd < 0 {
		return s + openPixel
	}
	return s[:bodyEnd] + openPixel + s[bodyEnd:]
}

// openPixel is the open-tracking image, rendered only when the recipient has an open URL.
const openPixel = `{{ with $.OpenURL }}<img src="{{ . }}" width="1" height="1" alt="" style="display:block;border:0">{{ end }}`

// rewriteHref replaces the value of a tracked href in one raw <a> start tag.
func rewriteHref(tag string, lt *linkTable) string {
	start, end, ok := hrefSpan(tag)
	if !ok {
		return tag
	}
	u, ok := trackedURL(unquote(tag[start:end]))
	if !ok {
		return tag
	}
	return tag[:start] + `"` + lt.placeholder(lt.id(u)) + `"` + tag[end:]
}

// hrefValue returns the raw value of the first href attribute of a start tag.
func hrefValue(tag string) (string, bool) {
	start, end, ok := hrefSpan(tag)
	if !ok {
		return "", false
	}
	return unquote(tag[start:end]), true
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	if len(v) >= 1 && (v[0] == '"' || v[0] == '\'') { // unterminated at the end of input
		return v[1:]
	}
	return v
}

// hrefSpan finds the first href attribute of a raw start tag as the HTML tokenizer reads
// attributes (name up to space, '/', '=' or '>'; value quoted or unquoted) and returns the byte
// range of its value, quotes included. Attributes without a value have no span.
func hrefSpan(tag string) (start, end int, ok bool) {
	i := 1
	for i < len(tag) && !isSpace(tag[i]) && tag[i] != '/' && tag[i] != '>' {
		i++ // tag name
	}
	for i < len(tag) {
		for i < len(tag) && (isSpace(tag[i]) || tag[i] == '/') {
			i++
		}
		if i >= len(tag) || tag[i] == '>' {
			return 0, 0, false
		}
		ns := i
		i++ // the first character may be '='
		for i < len(tag) && !isSpace(tag[i]) && tag[i] != '/' && tag[i] != '>' && tag[i] != '=' {
			i++
		}
		name := tag[ns:i]
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '=' {
			continue // attribute without a value
		}
		i++
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		vs := i
		i = valueEnd(tag, i)
		if strings.EqualFold(name, "href") {
			return vs, i, true
		}
	}
	return 0, 0, false
}

// valueEnd returns the index just past an attribute value starting at i.
func valueEnd(tag string, i int) int {
	if i < len(tag) && (tag[i] == '"' || tag[i] == '\'') {
		q := tag[i]
		if j := strings.IndexByte(tag[i+1:], q); j >= 0 {
			return i + 1 + j + 1
		}
		return len(tag)
	}
	for i < len(tag) && !isSpace(tag[i]) && tag[i] != '>' {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
