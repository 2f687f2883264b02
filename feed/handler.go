package feed

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
)

// MaxPageLimit caps limit for JSON pages; NDJSON streams have no cap.
const MaxPageLimit = 10000

// ContentTypeNDJSON is the media type of streamed responses.
const ContentTypeNDJSON = "application/x-ndjson"

// Handler serves GET /api/v1/events. Parameters: after (a cursor; empty for the beginning),
// limit (events; JSON pages default to DefaultLimit and are capped at MaxPageLimit, NDJSON
// streams are unlimited by default, up to the horizon), types (comma-separated event types).
// With "Accept: application/x-ndjson" or format=ndjson it streams one event per line, each
// carrying its cursor; otherwise it answers a Page as JSON. Bad parameters are 400 with
// {"error": "..."}. The caller puts it behind authentication (permission events:read).
func Handler(db pg.DBTX, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &handler{db: db, logger: logger}
}

type handler struct {
	db     pg.DBTX
	logger *slog.Logger
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "only GET is allowed")
		return
	}
	stream, err := wantsNDJSON(r)
	if err == nil {
		var q Query
		if q, err = parseQuery(r, stream); err == nil {
			if stream {
				h.stream(w, r, q)
			} else {
				h.page(w, r, q)
			}
			return
		}
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

func (h *handler) page(w http.ResponseWriter, r *http.Request, q Query) {
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	b := make([]byte, 0, 64<<10)
	b = append(b, `{"events":[`...)
	n := 0
	next, err := Each(r.Context(), h.db, q, func(e *Event) error {
		if n++; n > 1 {
			b = append(b, ',')
		}
		b = e.AppendJSON(b)
		return nil
	})
	if err != nil {
		h.logger.Error("feed: page failed", "err", err)
		writeError(w, http.StatusInternalServerError, "the feed could not be read")
		return
	}
	b = append(b, `],"next":"`...)
	b = append(append(b, next.String()...), "\"}\n"...)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

// stream writes NDJSON through a buffer, flushed after every chunk so a slow stream shows
// progress. An error after the first byte cannot become a status: the connection is aborted,
// so the client sees a truncated response instead of a complete-looking one, and resumes from
// the last cursor it read.
func (h *handler) stream(w http.ResponseWriter, r *http.Request, q Query) {
	w.Header().Set("Content-Type", ContentTypeNDJSON)
	bw := bufio.NewWriterSize(w, 64<<10)
	// Through any wrappers the edge puts around w (they unwrap to the server's writer).
	rc := http.NewResponseController(w)
	line := make([]byte, 0, 1024)
	n := 0
	_, err := Each(r.Context(), h.db, q, func(e *Event) error {
		line = append(e.AppendJSON(line[:0]), '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
		if n++; n%chunk == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
			_ = rc.Flush() // a writer that cannot flush still gets everything at the end
		}
		return nil
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		if r.Context().Err() == nil {
			h.logger.Error("feed: stream failed", "err", err, "events", n)
		}
		panic(http.ErrAbortHandler)
	}
}

func wantsNDJSON(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "ndjson":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, fmt.Errorf("format %q: want json or ndjson", f)
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == ContentTypeNDJSON {
			return true, nil
		}
	}
	return false, nil
}

func parseQuery(r *http.Request, stream bool) (Query, error) {
	v := r.URL.Query()
	var q Query
	var err error
	if q.After, err = ParseCursor(v.Get("after")); err != nil {
		return q, errors.New("after: not a cursor this feed handed out")
	}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 {
			return q, fmt.Errorf("limit %q: want a positive number", s)
		}
	}
	if !stream {
		q.Limit = min(q.Limit, MaxPageLimit)
	}
	q.Types, err = ParseTypes(v.Get("types"))
	return q, err
}

// ParseTypes parses a comma-separated list of event types ("" is none, meaning all); an
// unknown type is an error naming it.
func ParseTypes(s string) ([]events.Type, error) {
	var types []events.Type
	for _, part := range strings.Split(s, ",") {
		t := events.Type(strings.TrimSpace(part))
		if t == "" {
			continue
		}
		if !t.Valid() {
			return nil, fmt.Errorf("unknown event type %q", t)
		}
		types = append(types, t)
	}
	return types, nil
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
