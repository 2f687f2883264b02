package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/smtptest"
)

// The assembled HTTP surface: operations endpoints open, the API and the queue UI only with the
// right credentials, tracking paths routed to the tracking handler.
func TestHTTPSurface(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStack(t, smtptest.Options{Discard: true})
	_, srv := s.startApp(t)
	users := access.New(s.db.Pool)
	admin, err := users.CreateUser(ctx, "anna", access.RoleAdmin)
	require.NoError(t, err)
	adminToken, _, err := users.IssueToken(ctx, admin.ID, "test")
	require.NoError(t, err)
	analyst, err := users.CreateUser(ctx, "olli", access.RoleAnalyst)
	require.NoError(t, err)
	analystToken, _, err := users.IssueToken(ctx, analyst.ID, "test")
	require.NoError(t, err)

	get := func(path string, auth func(*http.Request)) (int, string) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		if auth != nil {
			auth(req)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	basic := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth("anyone", tok) }
	}
	tests := []struct {
		name, path string
		auth       func(*http.Request)
		status     int
		contains   string
	}{
		{"health", "/healthz", nil, 200, "ok"},
		{"ready", "/readyz", nil, 200, "postgres: ok"},
		{"metrics", "/metrics", nil, 200, "go_goroutines"},
		{"api without token", "/api/v1/me", nil, 401, ""},
		{"api with token", "/api/v1/me", bearer(analystToken), 200, `"olli"`},
		{"api wrong role", "/api/v1/users", bearer(analystToken), 403, ""},
		{"queues without credentials", "/admin/queues/", nil, 401, ""},
		{"queues as analyst", "/admin/queues/", basic(analystToken), 401, ""},
		{"queues as admin", "/admin/queues/", basic(adminToken), 200, "<html"},
		{"forged tracking token", "/o/AAAAAAAAAAAAAAAAAAAAAAAA", nil, 404, ""},
		{"event feed for the register's integration", "/api/v1/events", bearer(analystToken), 200, `"events"`},
		{"report of an unknown campaign", "/api/v1/campaigns/999/report", bearer(analystToken), 404, ""},
		{"engagement of an unknown contact", "/api/v1/contacts/999/engagement", bearer(analystToken), 404, ""},
		{"webhooks are for admins", "/api/v1/webhooks", bearer(analystToken), 403, ""},
		{"webhooks as admin", "/api/v1/webhooks", bearer(adminToken), 200, ""},
		{"audit log as admin, with the sign-ins above", "/api/v1/audit", bearer(adminToken), 200, "auth.sign_in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(tt.path, tt.auth)
			assert.Equal(t, tt.status, status)
			if tt.contains != "" {
				assert.True(t, strings.Contains(body, tt.contains), "body lacks %q: %.200s", tt.contains, body)
			}
		})
	}
}
