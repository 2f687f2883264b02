package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/kirje/kirje/campaign"
)

// previewSegment counts the contacts a filter matches today and how many of them the register
// allows marketing to: POST {"filter": {...}}.
func (a *API) previewSegment(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Filter json.RawMessage `json:"filter"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	f, err := parseSegment(in.Filter, "filter")
	if err != nil {
		return err
	}
	counts, err := campaign.Preview(r.Context(), a.db, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, counts)
	return nil
}

// parseSegment validates a segment filter given in the JSON field named field. The field is
// required, so that no campaign goes to everyone by omission: {} says "everyone" explicitly.
// Errors name the path of the offending part of the filter.
func parseSegment(raw json.RawMessage, field string) (campaign.Filter, error) {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return campaign.Filter{}, &requestError{status: http.StatusUnprocessableEntity,
			msg:     field + " is required ({} matches every contact)",
			details: map[string]string{"field": field, "reason": "required"}}
	}
	return campaign.ParseFilter(raw)
}
