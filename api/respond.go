package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// errorBody is every error response: {"error": "...", "details": ...}.
type errorBody struct {
	Error   string `json:"error"`
	Details any    `json:"details,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string, details any) {
	writeJSON(w, status, errorBody{Error: msg, Details: details})
}

// writeJSON answers v as JSON with status. An encoding failure can no longer change the status;
// the client sees a truncated body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads the body, which must be exactly one JSON value with no fields v does not
// have, into v. Errors are 400s saying what is wrong, or the body limit's 413.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return badRequest("the body must hold one JSON value and nothing after it")
	}
	return nil
}

// decodeOptionalJSON is decodeJSON for bodies that may be left out: an empty body leaves v as
// it is.
func decodeOptionalJSON(r *http.Request, v any) error {
	err := decodeJSON(r, v)
	var re *requestError
	if errors.As(err, &re) && re.emptyBody {
		return nil
	}
	return err
}

func jsonError(err error) error {
	var (
		tooLarge  *http.MaxBytesError
		syntax    *json.SyntaxError
		typeError *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return err
	case errors.Is(err, io.EOF):
		return &requestError{status: http.StatusBadRequest, msg: "the body is empty: a JSON object is expected", emptyBody: true}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the body ends in the middle of a JSON value")
	case errors.As(err, &syntax):
		return badRequest("malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typeError):
		if typeError.Field == "" {
			return badRequest("the body must be a JSON %s, not %s", jsonKind(typeError.Type.Kind().String()), typeError.Value)
		}
		return badRequest("field %q: expected %s, got %s", typeError.Field, jsonKind(typeError.Type.Kind().String()), typeError.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return badRequest("invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names a Go kind the way a JSON author thinks of it.
func jsonKind(kind string) string {
	switch {
	case kind == "struct" || kind == "map":
		return "object"
	case kind == "slice" || kind == "array":
		return "array"
	case strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "bool":
		return "boolean"
	}
	return kind
}

// pathID parses the positive integer path value name.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("%s %q in the path is not a positive integer", name, r.PathValue(name))
	}
	return id, nil
}

// queryID parses the optional positive integer query parameter name; 0 when absent.
func queryID(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("query parameter %s=%q is not a positive integer", name, s)
	}
	return id, nil
}

// page is a list response: items, and the cursor to pass as ?after= for the next page (null on
// a page that is not full, which is the last).
type page[T any] struct {
	Items []T    `json:"items"`
	Next  *int64 `json:"next"`
}

// pageParams reads ?after=ID&limit=N (limit 1..max, default 100).
func pageParams(r *http.Request, max int) (after int64, limit int, err error) {
	if after, err = queryID(r, "after"); err != nil {
		return 0, 0, err
	}
	limit = 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			return 0, 0, badRequest("query parameter limit=%q must be 1 to %d", s, max)
		}
		limit = n
	}
	return after, limit, nil
}

// newPage makes a page of items fetched with limit; id gives an item's ID for the cursor.
func newPage[T any](items []T, limit int, id func(T) int64) page[T] {
	p := page[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(items) == limit && limit > 0 {
		next := id(items[len(items)-1])
		p.Next = &next
	}
	return p
}

// items is a list response without paging (brands, users, tokens: a handful each).
type items[T any] struct {
	Items []T `json:"items"`
}

func itemsOf[T any](xs []T) items[T] {
	if xs == nil {
		xs = []T{}
	}
	return items[T]{Items: xs}
}
