package api

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/kirje/kirje/suppression"
)

// listSuppressions pages through the list in ID order (?reason=, ?brand_id=, ?after=, ?limit=),
// or with ?address= returns every entry that suppresses that address, in any scope.
func (a *API) listSuppressions(w http.ResponseWriter, r *http.Request) error {
	if addr := r.URL.Query().Get("address"); addr != "" {
		es, err := a.suppression.Find(r.Context(), addr)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, newPage(es, 0, entryID))
		return nil
	}
	after, limit, err := pageParams(r, 1000)
	if err != nil {
		return err
	}
	brand, err := queryID(r, "brand_id")
	if err != nil {
		return err
	}
	reason := suppression.Reason(r.URL.Query().Get("reason"))
	if reason != "" && !reason.Valid() {
		return badRequest("reason %q is not one of unsubscribe, bounce, complaint, manual, erasure, import", reason)
	}
	es, err := a.suppression.List(r.Context(), suppression.ListOptions{AfterID: after, Limit: limit,
		Reason: reason, BrandID: brand})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(es, limit, entryID))
	return nil
}

func entryID(e suppression.Entry) int64 { return e.ID }

func (a *API) getSuppression(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := a.suppression.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// suppressionInput adds one entry: an address or a whole domain ("example.com" or
// "@example.com"), for all marketing or one brand.
type suppressionInput struct {
	Address  string             `json:"address"`
	Domain   string             `json:"domain"`
	BrandID  int64              `json:"brand_id"` // 0: all marketing
	Reason   suppression.Reason `json:"reason"`   // manual when empty
	Source   string             `json:"source"`   // "api" when empty
	HashOnly bool               `json:"hash_only"`
}

// addSuppression puts an entry on the list, effective for every later send once answered: 201
// when new, 200 with the existing entry when it was there already.
func (a *API) addSuppression(w http.ResponseWriter, r *http.Request) error {
	var in suppressionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Reason == "" {
		in.Reason = suppression.ReasonManual
	}
	e, created, err := a.suppression.AddOne(r.Context(), suppression.Input{Address: in.Address,
		Domain: in.Domain, BrandID: in.BrandID, Reason: in.Reason, Source: orDefault(in.Source, "api"),
		Actor: actor(r), HashOnly: in.HashOnly})
	if err != nil {
		return err
	}
	auditTarget(r, fmt.Sprintf("suppressions/%d", e.ID))
	auditDetail(r, slog.Bool("created", created))
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, e)
	return nil
}

// removeSuppression takes an entry off the list: mail may go to the address again.
func (a *API) removeSuppression(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := a.suppression.Get(r.Context(), id)
	if err != nil {
		return err
	}
	if err := a.suppression.Remove(r.Context(), id, actor(r)); err != nil {
		return err
	}
	auditDetail(r, slog.String("reason", string(e.Reason)), slog.Int64("brand_id", e.BrandID),
		slog.Bool("domain", e.Domain != ""))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
