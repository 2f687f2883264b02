package api

import (
	"log/slog"
	"net/http"

	"github.com/kirje/kirje/register"
)

// importContacts streams a contact CSV into the register (see register.Importer.Import for the
// columns). Bad rows are skipped and reported; the answer counts imported, updated and rejected
// rows. ?source= names where the file's bans and consents came from ("api import" by default).
//
// If the import stops part-way (the database fails, the body is cut off or too large), the
// chunks before stay committed; the error answer's details carry the counts so far, and sending
// the same file again is safe.
func (a *API) importContacts(w http.ResponseWriter, r *http.Request) error {
	body, err := csvBody(r)
	if err != nil {
		return err
	}
	res, err := a.importer.Import(r.Context(), body, register.ImportOptions{
		Source: queryString(r, "source", "api import"), Actor: actor(r),
	})
	auditDetail(r, slog.Int("imported", res.Imported), slog.Int("updated", res.Updated),
		slog.Int("rejected", res.Rejected))
	if err != nil && res.Imported+res.Updated+res.Rejected > 0 {
		return withDetails(err, res)
	}
	if err != nil {
		return err
	}
	if res.Errors == nil {
		res.Errors = []register.RowError{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
