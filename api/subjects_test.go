package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/privacy"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

func TestSubjectExportAndErase(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := fixture.Contact(t, e.db.Pool, "anna@kone.example", "Buyer")

	res := e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/subjects/export?email=Anna@Kone.example", nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Contains(t, res.header.Get("Content-Disposition"), "attachment")
	var doc privacy.Document
	res.json(t, &doc)
	require.NotNil(t, doc.Contact)
	assert.Equal(t, c.ID, doc.Contact.ID)

	for _, bad := range []struct {
		path   string
		status int
	}{{"/api/v1/subjects/export", http.StatusBadRequest}, {"/api/v1/subjects/export?email=nope", http.StatusUnprocessableEntity}} {
		res := e.as(t, access.RolePrivacy, http.MethodGet, bad.path, nil)
		assert.Equal(t, bad.status, res.status, bad.path)
	}
	// POST keeps the address out of URLs (and proxies' access logs).
	res = e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/subjects/export", map[string]any{"email": "anna@kone.example"})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var posted privacy.Document
	res.json(t, &posted)
	require.NotNil(t, posted.Contact)
	assert.Equal(t, c.ID, posted.Contact.ID)
	res = e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/subjects/export", map[string]any{"email": " "})
	assert.Equal(t, http.StatusBadRequest, res.status)

	res = e.as(t, access.RoleMarketer, http.MethodGet, "/api/v1/subjects/export?email=anna@kone.example", nil)
	assert.Equal(t, http.StatusForbidden, res.status, "marketers do not handle subject requests")

	res = e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/subjects/erase", map[string]any{"email": "anna@kone.example"})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var er privacy.Erasure
	res.json(t, &er)
	assert.Equal(t, c.ID, er.ContactID)
	_, err := register.New(e.db.Pool).Contact(e.ctx, c.ID)
	require.ErrorIs(t, err, register.ErrNotFound)
	v, err := e.list.Check(e.ctx, 0, "anna@kone.example")
	require.NoError(t, err)
	assert.True(t, v.Suppressed)
	res = e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/subjects/erase", map[string]any{"email": "anna@kone.example", "x": 1})
	assert.Equal(t, http.StatusBadRequest, res.status)

	h := suppression.Hash("anna@kone.example")
	for action, n := range map[string]int{access.ActionSubjectExport: 2, access.ActionSubjectErase: 1} {
		got := e.audit(t, action)
		require.Len(t, got, n, action+": one entry per request that was answered")
		for _, entry := range got {
			assert.Equal(t, access.SubjectTarget(h[:]), entry.Target)
			assert.Equal(t, "staff-privacy", entry.Actor)
			assert.Equal(t, "127.0.0.1", entry.IP)
		}
	}
}

func TestSubjectObjectionByAddress(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res := e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/subjects/objection",
		map[string]any{"email": "stranger@kone.example", "source": "letter"})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	v, err := e.list.Check(e.ctx, 0, "stranger@kone.example")
	require.NoError(t, err)
	assert.True(t, v.Suppressed, "in force before any import")
	res = e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/subjects/objection", map[string]any{"email": "stranger@kone.example"})
	assert.Equal(t, http.StatusUnprocessableEntity, res.status, "a source is required")
}

func TestContactTrackingChoice(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := fixture.Contact(t, e.db.Pool, "anna@kone.example", "Buyer")
	path := fmt.Sprintf("/api/v1/contacts/%d/tracking", c.ID)

	res := e.as(t, access.RolePrivacy, http.MethodPost, path, map[string]any{"level": "off", "source": "requested by email"})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var ch register.TrackingChoice
	res.json(t, &ch)
	assert.Equal(t, "off", ch.Level)
	assert.Equal(t, "staff-privacy", ch.Actor)
	got, err := register.New(e.db.Pool).Contact(e.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, "off", got.Tracking)

	res = e.as(t, access.RoleMarketer, http.MethodPost, path, map[string]any{"level": "", "source": "consent withdrawn objection"})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var list struct {
		Items []register.TrackingChoice `json:"items"`
	}
	e.as(t, access.RoleAnalyst, http.MethodGet, path, nil).json(t, &list)
	require.Len(t, list.Items, 2)
	assert.Equal(t, []string{"off", ""}, []string{list.Items[0].Level, list.Items[1].Level})

	for _, bad := range []struct {
		body   any
		status int
	}{
		{map[string]any{"level": "sometimes", "source": "x"}, http.StatusUnprocessableEntity},
		{map[string]any{"level": "off"}, http.StatusUnprocessableEntity},
		{map[string]any{"source": "x"}, http.StatusUnprocessableEntity},
		{map[string]any{"level": "off", "source": "x", "who": "me"}, http.StatusBadRequest},
	} {
		res := e.as(t, access.RolePrivacy, http.MethodPost, path, bad.body)
		assert.Equal(t, bad.status, res.status, "%v: %s", bad.body, res.body)
	}
	res = e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/contacts/999999/tracking", map[string]any{"level": "off", "source": "x"})
	assert.Equal(t, http.StatusNotFound, res.status)
	res = e.as(t, access.RoleAnalyst, http.MethodPost, path, map[string]any{"level": "off", "source": "x"})
	assert.Equal(t, http.StatusForbidden, res.status)

	audit := e.audit(t, access.ActionContactTracking)
	require.Len(t, audit, 2)
	assert.Equal(t, fmt.Sprintf("contacts/%d", c.ID), audit[0].Target)
	assert.False(t, strings.Contains(fmt.Sprint(audit), "requested by email"), "free text stays out of the audit log")
}
