package webhook

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/feed"
)

// Route is one API route: a ServeMux pattern with its method, and its handler.
type Route struct {
	Pattern string
	Handler http.Handler
}

// API serves the subscription routes under /api/v1/webhooks. The caller mounts Routes (or the
// API as a whole) behind authentication; all of them need an administrator's permission (a
// subscription's secret reads the whole feed).
type API struct {
	disp   *Dispatcher
	actor  func(*http.Request) string
	logger *slog.Logger
	mux    *http.ServeMux
}

// NewAPI returns the API over d. actor names the calling user for created_by (nil: "api").
func NewAPI(d *Dispatcher, actor func(*http.Request) string, logger *slog.Logger) *API {
	if actor == nil {
		actor = func(*http.Request) string { return "api" }
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &API{disp: d, actor: actor, logger: logger, mux: http.NewServeMux()}
	for _, r := range a.Routes() {
		a.mux.Handle(r.Pattern, r.Handler)
	}
	return a
}

// Routes lists the routes:
//
//	GET    /api/v1/webhooks              the subscriptions (never their secrets)
//	POST   /api/v1/webhooks              {"url", "types": [...], "description", "from": "now"|"start"|CURSOR}
//	                                     → 201 with the subscription and its secret, shown this once
//	GET    /api/v1/webhooks/{id}         one subscription
//	DELETE /api/v1/webhooks/{id}         → 204
//	POST   /api/v1/webhooks/{id}/test    send a signed test message → the attempt's outcome
//	POST   /api/v1/webhooks/{id}/enable  resume a disabled subscription where it stopped
//	POST   /api/v1/webhooks/{id}/disable {"reason"}
func (a *API) Routes() []Route {
	const p = "/api/v1/webhooks"
	return []Route{
		{"GET " + p, a.handle(a.list)},
		{"POST " + p, a.handle(a.create)},
		{"GET " + p + "/{id}", a.handle(a.get)},
		{"DELETE " + p + "/{id}", a.handle(a.remove)},
		{"POST " + p + "/{id}/test", a.handle(a.test)},
		{"POST " + p + "/{id}/enable", a.handle(a.enable)},
		{"POST " + p + "/{id}/disable", a.handle(a.disable)},
	}
}

// ServeHTTP serves every route.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// handle adapts a handler that returns its answer or an error to http.Handler, mapping the
// package's errors to statuses.
func (a *API) handle(h func(*http.Request) (int, any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		status, v, err := h(r)
		var bad badRequest
		switch {
		case err == nil:
		case errors.As(err, &bad):
			status, v = http.StatusBadRequest, errorBody{string(bad)}
		case errors.Is(err, ErrNotFound):
			status, v = http.StatusNotFound, errorBody{"no such webhook subscription"}
		case errors.Is(err, ErrInvalid):
			status, v = http.StatusUnprocessableEntity, errorBody{err.Error()}
		default:
			a.logger.Error("webhook: API request failed", "path", r.URL.Path, "err", err)
			status, v = http.StatusInternalServerError, errorBody{"internal error"}
		}
		w.Header().Set("Cache-Control", "no-store")
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	})
}

type errorBody struct {
	Error string `json:"error"`
}

// badRequest is a malformed request: 400 with its text.
type badRequest string

func (e badRequest) Error() string { return string(e) }

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("the subscription ID must be a positive number")
	}
	return id, nil
}

// decode reads a JSON object into v; an empty body is an error unless optional.
func decode(r *http.Request, v any, optional bool) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) && optional:
		return nil
	case errors.Is(err, io.EOF):
		return badRequest("the body is empty: a JSON object is expected")
	}
	return badRequest("malformed JSON body: " + strings.TrimPrefix(err.Error(), "json: "))
}

// ParseFrom reads where a new subscription starts: "" or "now" (feed.Head), "start" (the whole
// stored feed), or a feed cursor.
func ParseFrom(s string) (cursor feed.Cursor, fromStart bool, err error) {
	switch s {
	case "", "now":
		return feed.Cursor{}, false, nil
	case "start":
		return feed.Cursor{}, true, nil
	}
	c, err := feed.ParseCursor(s)
	if err != nil {
		return c, false, badRequest(`from: want "now", "start" or a feed cursor`)
	}
	return c, false, nil
}

// ParseTypes reads a list of event type names.
func ParseTypes(names []string) ([]events.Type, error) {
	types, err := feed.ParseTypes(strings.Join(names, ","))
	if err != nil {
		return nil, badRequest(err.Error())
	}
	return types, nil
}
