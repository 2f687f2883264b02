package engagement_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/engagement"
	"github.com/kirje/kirje/internal/pgtest"
)

func TestHandlerServesAContactsEngagement(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	s := writeScript(t, db)
	now := func() time.Time { return at(41, "2h") }
	runUntil(t, engagement.NewFolder(db.Pool, engagement.FolderConfig{Now: now}), 16)

	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/contacts/{id}/engagement", engagement.Handler(db.Pool, now, nil))
	for path, want := range map[string]int{
		"/api/v1/contacts/" + strconv.FormatInt(s.aino, 10) + "/engagement": http.StatusOK,
		"/api/v1/contacts/999999/engagement":                                http.StatusNotFound,
		"/api/v1/contacts/x/engagement":                                     http.StatusBadRequest,
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		assert.Equal(t, want, rec.Code, path)
		var body map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), path)
		if want == http.StatusOK {
			assert.EqualValues(t, 3, body["opens_90d"])
			assert.Equal(t, "2026-03-13T10:00:00Z", body["last_click_at"])
			assert.Greater(t, body["score"], 0.0)
		} else {
			assert.NotEmpty(t, body["error"])
		}
	}
}
