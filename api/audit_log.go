package api

import (
	"net/http"

	"github.com/kirje/kirje/access"
)

// listAudit pages through the audit log, oldest first: ?after=ID&limit=N (at most 1000), and
// ?user=NAME (the actor: a user name, or "cli:…") and ?action=ACTION to filter.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r, 1000)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	es, err := access.AuditLog(r.Context(), a.db, access.AuditQuery{AfterID: after, Limit: limit,
		Actor: q.Get("user"), Action: q.Get("action")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(es, limit, func(e access.Entry) int64 { return e.ID }))
	return nil
}
