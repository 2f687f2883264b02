package tracking

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// oneClickBody is the whole body RFC 8058 prescribes.
const oneClickBody = "List-Unsubscribe=One-Click"

var (
	errBadForm  = errors.New("tracking: not a one-click request or a valid unsubscribe form")
	errTooLarge = errors.New("tracking: request body too large")
)

// postForm is a POST to the unsubscribe URL, read from the body only (never the query string).
type postForm struct {
	oneClick bool
	action   string
	scope    string
	lang     string
}

// readPost reads a POST body of at most maxFormBody bytes. A one-click request is recognised as
// RFC 8058 sends it (application/x-www-form-urlencoded or multipart/form-data with the field
// List-Unsubscribe=One-Click) and, liberally, as the exact body "List-Unsubscribe=One-Click"
// under any other content type: that text is never sent by accident. An empty body is not a
// one-click request (RFC 8058 requires the field, and an empty POST is what a careless link
// prober might send); it gets 400 and unsubscribes nobody.
func readPost(w http.ResponseWriter, r *http.Request) (postForm, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mediaType {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(maxFormBody)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
	default:
		body, rerr := io.ReadAll(r.Body)
		if rerr != nil {
			return postForm{}, tooLargeOr(rerr)
		}
		if strings.TrimSpace(string(body)) == oneClickBody {
			return postForm{oneClick: true}, nil
		}
		return postForm{}, errBadForm
	}
	if err != nil {
		return postForm{}, tooLargeOr(err)
	}
	f := r.PostForm
	if f.Get("List-Unsubscribe") == "One-Click" {
		return postForm{oneClick: true}, nil
	}
	scope := f.Get("scope")
	if scope == "" {
		scope = ScopeAll
	}
	return postForm{action: f.Get("action"), scope: scope, lang: f.Get("lang")}, nil
}

func tooLargeOr(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errTooLarge
	}
	return errBadForm
}

// badRequest answers a POST that is neither a one-click request nor the page's form.
func badRequest(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, errTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	hdr := w.Header()
	hdr["Content-Type"] = hTextPlain
	hdr["Cache-Control"] = hNoStore
	w.WriteHeader(status)
	w.Write([]byte("Expected List-Unsubscribe=One-Click or the unsubscribe form.\n"))
}
