package report_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/report"
)

func TestRoutes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	mux := http.NewServeMux()
	for _, r := range report.Routes(f.db.Pool, func() time.Time { return at("16h") }, nil) {
		mux.Handle(r.Pattern, r.Handler)
	}
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	base := fmt.Sprintf("/api/v1/campaigns/%d/report", f.campaignID)

	rec := get(base + "?include_machine=true")
	require.Equal(t, http.StatusOK, rec.Code)
	var r report.Report
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r))
	assert.EqualValues(t, 3, r.UniqueOpens)

	rec = get(base + "/recipients.csv")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "text/csv; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Header().Get("Content-Disposition"), "attachment")
	assert.Equal(t, 10, strings.Count(rec.Body.String(), "\n"))

	for path, want := range map[string]int{
		"/api/v1/campaigns/999999/report":                  http.StatusNotFound,
		"/api/v1/campaigns/999999/report/recipients.csv":   http.StatusNotFound,
		"/api/v1/campaigns/x/report":                       http.StatusBadRequest,
		base + "?include_machine=maybe":                    http.StatusBadRequest,
		base + "/recipients.csv?include_machine=sometimes": http.StatusBadRequest,
	} {
		rec := get(path)
		assert.Equal(t, want, rec.Code, path)
		assert.Contains(t, rec.Body.String(), `"error"`, path)
	}
}
