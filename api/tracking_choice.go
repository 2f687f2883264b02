package api

import (
	"net/http"
)

// A contact's own choice about tracking: an objection to per-person tracking (level aggregate or
// off) or consent to it (individual), kept with its history and honoured by every message
// rendered afterwards.

func (a *API) listTrackingChoices(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.register.Contact(r.Context(), id); err != nil {
		return err
	}
	cs, err := a.register.TrackingChoices(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, itemsOf(cs))
	return nil
}

// setTracking records the contact's choice: POST {"level": "aggregate"|"off"|"individual"|"",
// "source": "requested by email"} ("" follows the brand again). It answers the recorded choice.
func (a *API) setTracking(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Level  *string `json:"level"`
		Source string  `json:"source"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Level == nil {
		return &requestError{status: http.StatusUnprocessableEntity, msg: `level is required: "individual", "aggregate", "off" or "" (follow the brand)`,
			details: map[string]string{"field": "level", "reason": "required"}}
	}
	ch, err := a.privacy.SetTracking(r.Context(), id, *in.Level, in.Source, auditBy(r))
	if err != nil {
		return err
	}
	auditWritten(r)
	writeJSON(w, http.StatusCreated, ch)
	return nil
}
