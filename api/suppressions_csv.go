package api

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/kirje/kirje/suppression"
)

// importSuppressions streams a CSV of entries onto the list (columns email, domain or sha256,
// and optionally brand_id, reason, source: see suppression.List.Import). Query parameters give
// the defaults for rows without their own: ?reason= (import), ?brand_id=, ?source= ("api
// import"), ?hash_only=true to keep only hashes. Bad rows are skipped and reported by line.
func (a *API) importSuppressions(w http.ResponseWriter, r *http.Request) error {
	opts, err := suppressionImportOptions(r)
	if err != nil {
		return err
	}
	body, err := csvBody(r)
	if err != nil {
		return err
	}
	res, err := a.suppression.Import(r.Context(), body, opts)
	auditDetail(r, slog.Int("added", res.Added), slog.Int("existing", res.Existing), slog.Int("rejected", res.Rejected))
	if err != nil && res.Added+res.Existing+res.Rejected > 0 {
		return withDetails(err, res)
	}
	if err != nil {
		return err
	}
	if res.Errors == nil {
		res.Errors = []suppression.RowError{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func suppressionImportOptions(r *http.Request) (suppression.ImportOptions, error) {
	brand, err := queryID(r, "brand_id")
	if err != nil {
		return suppression.ImportOptions{}, err
	}
	opts := suppression.ImportOptions{BrandID: brand, Actor: actor(r),
		Reason: suppression.Reason(queryString(r, "reason", string(suppression.ReasonImport))),
		Source: queryString(r, "source", "api import")}
	if !opts.Reason.Valid() {
		return opts, badRequest("reason %q is not one of unsubscribe, bounce, complaint, manual, erasure, import", opts.Reason)
	}
	if s := r.URL.Query().Get("hash_only"); s != "" {
		if opts.HashOnly, err = strconv.ParseBool(s); err != nil {
			return opts, badRequest("hash_only=%q is not true or false", s)
		}
	}
	return opts, nil
}

// exportSuppressions streams the whole list as CSV (the columns import reads back). A failure
// after the first bytes went out aborts the connection, so that a cut-off file is not taken for
// a complete one.
func (a *API) exportSuppressions(w http.ResponseWriter, r *http.Request) error {
	cw := &countingWriter{w: w}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="suppressions-`+a.now().UTC().Format("20060102")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	n, err := a.suppression.Export(r.Context(), cw)
	if err != nil && cw.n == 0 {
		w.Header().Del("Content-Disposition")
		return err
	}
	if err != nil {
		a.logger.LogAttrs(r.Context(), slog.LevelError, "api: suppression export cut off",
			slog.Int64("entries", n), slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
	auditDetail(r, slog.Int64("entries", n))
	return nil
}

type countingWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
