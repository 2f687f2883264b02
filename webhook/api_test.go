package webhook_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/webhook"
)

func TestAPIManagesSubscriptions(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 200)
	b := setup(t, webhook.Config{Policy: loopback})
	mux := http.NewServeMux()
	for _, r := range webhook.NewAPI(b.disp, func(*http.Request) string { return "maija" }, nil).Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	do := func(method, path, body string) (int, map[string]any) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		raw, _ := io.ReadAll(rec.Body)
		var v map[string]any
		if len(raw) > 0 {
			require.NoError(t, json.Unmarshal(raw, &v), string(raw))
		}
		return rec.Code, v
	}

	status, created := do("POST", "/api/v1/webhooks", `{"url": "`+rcv.URL+`/kirje", "types": ["open", "click"], "description": "register"}`)
	require.Equal(t, http.StatusCreated, status, created)
	secret := created["secret"].(string)
	assert.True(t, strings.HasPrefix(secret, "whsec_"))
	_, err := webhook.ParseSecret(secret)
	require.NoError(t, err)
	assert.Equal(t, "maija", created["created_by"])
	assert.Equal(t, []any{"open", "click"}, created["types"])
	id := strconv.Itoa(int(created["id"].(float64)))

	status, got := do("GET", "/api/v1/webhooks/"+id, "")
	assert.Equal(t, http.StatusOK, status)
	assert.NotContains(t, got, "secret", "the secret is shown once")
	status, list := do("GET", "/api/v1/webhooks", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Len(t, list["webhooks"], 1)

	status, tested := do("POST", "/api/v1/webhooks/"+id+"/test", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, tested["ok"])
	req := rcv.requests()[0]
	require.NoError(t, verify(secret, req.header, req.body, b.clock.Now()))

	status, disabled := do("POST", "/api/v1/webhooks/"+id+"/disable", `{"reason": "register migration"}`)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "disabled", disabled["status"])
	assert.Equal(t, "register migration", disabled["disabled_reason"])
	status, enabled := do("POST", "/api/v1/webhooks/"+id+"/enable", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "active", enabled["status"])

	status, _ = do("DELETE", "/api/v1/webhooks/"+id, "")
	assert.Equal(t, http.StatusNoContent, status)
	status, _ = do("GET", "/api/v1/webhooks/"+id, "")
	assert.Equal(t, http.StatusNotFound, status)

	for name, tt := range map[string]struct {
		method, path, body string
		status             int
	}{
		"http to a public host": {"POST", "/api/v1/webhooks", `{"url": "http://93.184.215.14/x"}`, http.StatusUnprocessableEntity},
		"unknown type":          {"POST", "/api/v1/webhooks", `{"url": "` + rcv.URL + `", "types": ["opened"]}`, http.StatusBadRequest},
		"unknown field":         {"POST", "/api/v1/webhooks", `{"uri": "x"}`, http.StatusBadRequest},
		"empty body":            {"POST", "/api/v1/webhooks", ``, http.StatusBadRequest},
		"bad from":              {"POST", "/api/v1/webhooks", `{"url": "` + rcv.URL + `", "from": "yesterday"}`, http.StatusBadRequest},
		"bad id":                {"GET", "/api/v1/webhooks/x", ``, http.StatusBadRequest},
		"test unknown":          {"POST", "/api/v1/webhooks/999999/test", ``, http.StatusNotFound},
	} {
		status, body := do(tt.method, tt.path, tt.body)
		assert.Equal(t, tt.status, status, name)
		assert.NotEmpty(t, body["error"], name)
	}
}
