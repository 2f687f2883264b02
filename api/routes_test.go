package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/api"
)

var wildcards = regexp.MustCompile(`\{[a-z_]+\}`)

// TestEveryRouteRequiresItsPermission walks the whole route table, other packages' routes too: without a token every route
// is 401, with a revoked token or a disabled user's 401, with a role lacking the route's
// permission 403, and with a role that has it neither. IDs in paths name nothing, so allowed
// calls change nothing.
func TestEveryRouteRequiresItsPermission(t *testing.T) {
	t.Parallel()
	e := setup(t, withThings) // other packages' routes are walked too
	revoked, revokedToken := e.user(t, "revoked", access.RoleAdmin)
	tokens, err := access.New(e.db.Pool).Tokens(e.ctx, revoked.ID)
	require.NoError(t, err)
	require.NoError(t, access.New(e.db.Pool).RevokeToken(e.ctx, revoked.ID, tokens[0].ID))
	disabled, disabledToken := e.user(t, "disabled", access.RoleAdmin)
	_, err = access.New(e.db.Pool).DisableUser(e.ctx, disabled.ID)
	require.NoError(t, err)

	routes := api.Routes(e.handler)
	require.NotEmpty(t, routes)
	seen := map[string]bool{}
	for _, rt := range routes {
		method, pattern, ok := strings.Cut(rt.Pattern, " ")
		require.True(t, ok, rt.Pattern)
		require.True(t, strings.HasPrefix(pattern, "/api/v1/"), rt.Pattern)
		require.NotEmpty(t, rt.Perm, rt.Pattern)
		require.False(t, seen[rt.Pattern], "declared twice: %s", rt.Pattern)
		seen[rt.Pattern] = true
		if method != http.MethodGet && rt.Pattern != "POST /api/v1/segments/preview" { // a read with a body
			assert.NotEmpty(t, rt.Audit, "%s changes something and must be audited", rt.Pattern)
		}
		path := wildcards.ReplaceAllString(pattern, "987654321")

		for name, tok := range map[string]string{"none": "", "garbage": "kirje_nope",
			"revoked": revokedToken, "disabled user": disabledToken} {
			res := e.do(t, method, path, tok, nil)
			assert.Equal(t, http.StatusUnauthorized, res.status, "%s with %s token", rt.Pattern, name)
			assert.Contains(t, res.header.Get("WWW-Authenticate"), "Bearer", rt.Pattern)
			res.errorBody(t)
		}
		res := e.send(t, method, path, "", "", nil)
		res.errorBody(t)
		for _, role := range access.Roles() {
			res := e.as(t, role, method, path, nil)
			if role.Can(rt.Perm) {
				assert.NotContains(t, []int{401, 403}, res.status, "%s as %s: %s", rt.Pattern, role, res.body)
				assert.Less(t, res.status, 500, "%s as %s: %s", rt.Pattern, role, res.body)
			} else {
				assert.Equal(t, http.StatusForbidden, res.status, "%s as %s", rt.Pattern, role)
				msg, _ := res.errorBody(t)
				assert.Contains(t, msg, string(rt.Perm))
			}
		}
	}
	// Every permission that guards a route is held by admin; removal of suppressions only by admin.
	for _, rt := range routes {
		assert.True(t, access.RoleAdmin.Can(rt.Perm), rt.Pattern)
	}
	assert.True(t, seen["DELETE /api/v1/suppressions/{id}"])
}

func TestNoRouteAnswersJSON(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res := e.as(t, access.RoleAdmin, http.MethodGet, "/api/v1/nothing-here", nil)
	assert.Equal(t, http.StatusNotFound, res.status)
	msg, _ := res.errorBody(t)
	assert.Contains(t, msg, "no such route")

	res = e.as(t, access.RoleAdmin, http.MethodDelete, "/api/v1/campaigns", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, res.status)
	assert.Contains(t, res.header.Get("Allow"), "GET")
	assert.Contains(t, res.header.Get("Allow"), "POST")
	res.errorBody(t)
}

func TestBearerHeaderForms(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.tokens[access.RoleAnalyst]
	for _, tt := range []struct {
		header string
		want   int
	}{
		{"Bearer " + tok, http.StatusOK},
		{"bearer " + tok, http.StatusOK},
		{"Bearer  " + tok + " ", http.StatusOK},
		{"Basic " + tok, http.StatusUnauthorized},
		{tok, http.StatusUnauthorized},
		{"Bearer", http.StatusUnauthorized},
		{"Bearer " + tok + "x", http.StatusUnauthorized},
	} {
		req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/me", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", tt.header)
		res, err := e.srv.Client().Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, tt.want, res.StatusCode, "%q", tt.header)
	}
}
