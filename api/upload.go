package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// csvBody returns the CSV an import request carries, as a stream: the body itself (text/csv,
// application/csv, text/plain), or the part named "file" of a multipart/form-data body. Nothing
// is buffered: the importer reads the request as it arrives, within the route's body limit.
func csvBody(r *http.Request) (io.Reader, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return nil, unsupportedMedia()
	}
	switch mt {
	case "text/csv", "application/csv", "text/plain":
		return r.Body, nil
	case "multipart/form-data":
		return filePart(r)
	}
	return nil, unsupportedMedia()
}

func unsupportedMedia() error {
	return &requestError{status: http.StatusUnsupportedMediaType,
		msg: "send the CSV as the body with Content-Type: text/csv, or as the form field \"file\" of multipart/form-data"}
}

// filePart returns the multipart body's "file" part, skipping (and discarding) parts before it.
func filePart(r *http.Request) (io.Reader, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("malformed multipart body: %v", err)
	}
	for {
		part, err := mr.NextPart()
		var tooLarge *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return nil, badRequest("the multipart body has no part named \"file\"")
		case errors.As(err, &tooLarge):
			return nil, err
		case err != nil:
			return nil, badRequest("malformed multipart body: %v", err)
		}
		if part.FormName() == "file" {
			return part, nil
		}
		_ = part.Close()
	}
}

// queryString returns the trimmed query parameter name, or def when it is absent or blank.
func queryString(r *http.Request, name, def string) string {
	if s := strings.TrimSpace(r.URL.Query().Get(name)); s != "" {
		return s
	}
	return def
}
