package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/kirje/kirje/internal/pg"
)

// Route is one API route: a ServeMux pattern with its method, and its handler.
type Route struct {
	Pattern string
	Handler http.Handler
}

// Routes are the report's API routes, for the caller to mount behind authentication
// (permission reports:read):
//
//	GET /api/v1/campaigns/{id}/report                  the Report as JSON
//	GET /api/v1/campaigns/{id}/report/recipients.csv   WriteRecipientsCSV
//
// Both take include_machine=true to count machine opens and clicks as human. An unknown
// campaign is 404, a malformed ID or flag 400.
func Routes(db pg.DBTX, now func() time.Time, logger *slog.Logger) []Route {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := handlers{db: db, now: now, logger: logger}
	return []Route{
		{"GET /api/v1/campaigns/{id}/report", http.HandlerFunc(h.report)},
		{"GET /api/v1/campaigns/{id}/report/recipients.csv", http.HandlerFunc(h.recipients)},
	}
}

type handlers struct {
	db     pg.DBTX
	now    func() time.Time
	logger *slog.Logger
}

func (h handlers) report(w http.ResponseWriter, r *http.Request) {
	id, opts, err := params(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	rep, err := Campaign(r.Context(), h.db, id, opts, h.now())
	if err != nil {
		h.fail(w, id, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (h handlers) recipients(w http.ResponseWriter, r *http.Request) {
	id, opts, err := params(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	// The status is decided by the first write, so a missing campaign is still a 404; an error
	// later in the stream can only cut it short.
	cw := &lazyCSV{w: w, name: fmt.Sprintf("campaign-%d-recipients.csv", id)}
	if err := WriteRecipientsCSV(r.Context(), h.db, id, opts, cw); err != nil {
		if !cw.started {
			h.fail(w, id, err)
			return
		}
		h.logger.Error("report: CSV export failed midway", "campaign_id", id, "err", err)
		panic(http.ErrAbortHandler)
	}
}

func (h handlers) fail(w http.ResponseWriter, id int64, err error) {
	if errors.Is(err, ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such campaign"})
		return
	}
	h.logger.Error("report: failed", "campaign_id", id, "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
}

func params(r *http.Request) (int64, Options, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, Options{}, errors.New("the campaign ID must be a positive number")
	}
	var opts Options
	if s := r.URL.Query().Get("include_machine"); s != "" {
		if opts.IncludeMachine, err = strconv.ParseBool(s); err != nil {
			return 0, Options{}, errors.New("include_machine must be true or false")
		}
	}
	return id, opts, nil
}

// lazyCSV sets the CSV headers on the first write.
type lazyCSV struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (c *lazyCSV) Write(p []byte) (int, error) {
	if !c.started {
		c.started = true
		c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		c.w.Header().Set("Content-Disposition", `attachment; filename="`+c.name+`"`)
	}
	return c.w.Write(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
