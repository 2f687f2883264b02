package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
)

func TestUsersAndTokens(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res := e.as(t, access.RoleAdmin, http.MethodPost, "/api/v1/users", map[string]any{"name": "CRM", "role": "analyst"})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var u access.User
	res.json(t, &u)
	assert.Equal(t, "crm", u.Name)
	userPath := fmt.Sprintf("/api/v1/users/%d", u.ID)

	res = e.as(t, access.RoleAdmin, http.MethodPost, userPath+"/tokens", map[string]any{"label": "integration"})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	assert.Equal(t, "no-store", res.header.Get("Cache-Control"))
	var issued struct {
		Secret string `json:"token"`
		access.Token
	}
	res.json(t, &issued)
	require.True(t, strings.HasPrefix(issued.Secret, access.TokenPrefix))

	res = e.do(t, http.MethodGet, "/api/v1/me", issued.Secret, nil)
	require.Equal(t, http.StatusOK, res.status)
	var me struct {
		User        access.User         `json:"user"`
		Token       access.Token        `json:"token"`
		Permissions []access.Permission `json:"permissions"`
	}
	res.json(t, &me)
	assert.Equal(t, "crm", me.User.Name)
	assert.Equal(t, issued.ID, me.Token.ID)
	assert.Contains(t, me.Permissions, access.CampaignsRead)
	assert.NotContains(t, me.Permissions, access.CampaignsWrite)
	assert.NotContains(t, string(res.body), issued.Secret)

	res = e.as(t, access.RoleAdmin, http.MethodGet, userPath+"/tokens", nil)
	require.Equal(t, http.StatusOK, res.status)
	assert.NotContains(t, string(res.body), issued.Secret, "listed tokens carry no secret")
	assert.NotContains(t, string(res.body), `"token"`)
	assert.Contains(t, string(res.body), "integration")

	res = e.as(t, access.RoleAdmin, http.MethodPatch, userPath, map[string]any{"role": "marketer"})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	res = e.do(t, http.MethodPost, "/api/v1/segments/preview", issued.Secret, map[string]any{"filter": map[string]any{}})
	assert.Equal(t, http.StatusOK, res.status, "the new role applies from the next request")
	res = e.do(t, http.MethodGet, "/api/v1/users", issued.Secret, nil)
	assert.Equal(t, http.StatusForbidden, res.status)

	res = e.as(t, access.RoleAdmin, http.MethodDelete, fmt.Sprintf("%s/tokens/%d", userPath, issued.ID), nil)
	require.Equal(t, http.StatusNoContent, res.status, "%s", res.body)
	res = e.do(t, http.MethodGet, "/api/v1/me", issued.Secret, nil)
	assert.Equal(t, http.StatusUnauthorized, res.status, "revoked")
	assert.Contains(t, res.header.Get("WWW-Authenticate"), "invalid_token")
	res = e.as(t, access.RoleAdmin, http.MethodDelete, fmt.Sprintf("/api/v1/users/%d/tokens/%d", e.users[access.RoleAdmin].ID, issued.ID), nil)
	assert.Equal(t, http.StatusNotFound, res.status, "a token is revoked through its own user")

	var list struct {
		Items []access.User `json:"items"`
	}
	e.as(t, access.RoleAdmin, http.MethodGet, "/api/v1/users", nil).json(t, &list)
	assert.Len(t, list.Items, 5)
}

func TestDisableUserAndLastAdmin(t *testing.T) {
	t.Parallel()
	e := setup(t)
	marketer := e.users[access.RoleMarketer]
	res := e.as(t, access.RoleAdmin, http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", marketer.ID), map[string]any{"disabled": true})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	res = e.as(t, access.RoleMarketer, http.MethodGet, "/api/v1/me", nil)
	assert.Equal(t, http.StatusUnauthorized, res.status, "a disabled user's token stops working")
	res = e.as(t, access.RoleAdmin, http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", marketer.ID), map[string]any{"disabled": false})
	require.Equal(t, http.StatusOK, res.status)
	res = e.as(t, access.RoleMarketer, http.MethodGet, "/api/v1/me", nil)
	assert.Equal(t, http.StatusOK, res.status)

	admin := e.users[access.RoleAdmin]
	adminPath := fmt.Sprintf("/api/v1/users/%d", admin.ID)
	res = e.as(t, access.RoleAdmin, http.MethodPatch, adminPath, map[string]any{"role": "analyst"})
	assert.Equal(t, http.StatusConflict, res.status, "the last admin stays")
	// Both changes in one request: another admin may be demoted and disabled; the last one not,
	// and the refusal leaves both fields as they were.
	res = e.as(t, access.RoleAdmin, http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", marketer.ID),
		map[string]any{"role": "admin", "disabled": true})
	require.Equal(t, http.StatusOK, res.status, "another admin may be disabled: %s", res.body)
	res = e.as(t, access.RoleAdmin, http.MethodPatch, adminPath, map[string]any{"role": "privacy", "disabled": true})
	assert.Equal(t, http.StatusConflict, res.status)
	got, err := access.New(e.db.Pool).User(e.ctx, admin.ID)
	require.NoError(t, err)
	assert.Equal(t, access.RoleAdmin, got.Role)
	assert.False(t, got.Disabled)

	for _, bad := range []struct {
		body   any
		status int
	}{
		{map[string]any{"role": "root"}, http.StatusUnprocessableEntity},
		{map[string]any{"disabled": "yes"}, http.StatusBadRequest},
		{map[string]any{"name": "x"}, http.StatusBadRequest},
	} {
		res = e.as(t, access.RoleAdmin, http.MethodPatch, adminPath, bad.body)
		assert.Equal(t, bad.status, res.status, "%v: %s", bad.body, res.body)
	}
	res = e.as(t, access.RoleAdmin, http.MethodPatch, "/api/v1/users/999999", map[string]any{"role": "analyst"})
	assert.Equal(t, http.StatusNotFound, res.status)
	res = e.as(t, access.RoleAdmin, http.MethodPost, "/api/v1/users", map[string]any{"name": "staff-admin", "role": "analyst"})
	assert.Equal(t, http.StatusConflict, res.status)
	res = e.as(t, access.RoleAdmin, http.MethodPost, "/api/v1/users", map[string]any{"name": "recipient", "role": "analyst"})
	assert.Equal(t, http.StatusUnprocessableEntity, res.status)
}
