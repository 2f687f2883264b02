package engagement

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/kirje/kirje/internal/pg"
)

// Handler serves GET /api/v1/contacts/{id}/engagement: the contact's Engagement as JSON, 404
// for an unknown contact, 400 for an ID that is not a positive number. Mount it on a pattern
// that names {id}; the caller puts it behind authentication (permission register:read).
func Handler(db pg.DBTX, now func() time.Time, logger *slog.Logger) http.Handler {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the contact ID must be a positive number"})
			return
		}
		e, err := Get(r.Context(), db, id, now())
		switch {
		case errors.Is(err, ErrNotFound):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such contact"})
		case err != nil:
			logger.Error("engagement: read failed", "contact_id", id, "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		default:
			writeJSON(w, http.StatusOK, e)
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
