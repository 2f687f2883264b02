package api_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/suppression"
)

type entryPage struct {
	Items []suppression.Entry `json:"items"`
	Next  *int64              `json:"next"`
}

func TestSuppressionsAddListRemove(t *testing.T) {
	t.Parallel()
	e := setup(t)
	brand := fixture.Brand(t, e.db.Pool, "kone")

	res := e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/suppressions", map[string]any{"address": "Who@Kone.Example"})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var addr suppression.Entry
	res.json(t, &addr)
	assert.Equal(t, suppression.ReasonManual, addr.Reason)
	assert.Equal(t, "staff-privacy", addr.Actor)
	res = e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/suppressions", map[string]any{"address": "who@kone.example"})
	assert.Equal(t, http.StatusOK, res.status, "already there")

	res = e.as(t, access.RoleAdmin, http.MethodPost, "/api/v1/suppressions",
		map[string]any{"domain": "@rival.example", "reason": "complaint", "brand_id": brand.ID, "source": "phone"})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var dom suppression.Entry
	res.json(t, &dom)

	for _, tt := range []struct {
		addr string
		want bool
	}{{"who@kone.example", true}, {"x@rival.example", false}, {"other@kone.example", false}} {
		v, err := e.list.Check(e.ctx, 0, tt.addr)
		require.NoError(t, err)
		assert.Equal(t, tt.want, v.Suppressed, tt.addr)
	}
	v, err := e.list.Check(e.ctx, brand.ID, "x@rival.example")
	require.NoError(t, err)
	assert.True(t, v.Suppressed, "the brand's domain entry")

	for _, bad := range []map[string]any{
		{"address": "nope"}, {"address": "a@b.example", "domain": "b.example"}, {}, {"address": "a@b.example", "reason": "dislike"},
		{"address": "a@b.example", "brand_id": 999999},
	} {
		res := e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/suppressions", bad)
		assert.Equal(t, http.StatusUnprocessableEntity, res.status, "%v: %s", bad, res.body)
	}

	var p entryPage
	e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/suppressions?reason=complaint", nil).json(t, &p)
	require.Len(t, p.Items, 1)
	assert.Equal(t, dom.ID, p.Items[0].ID)
	e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/suppressions?limit=1", nil).json(t, &p)
	require.Len(t, p.Items, 1)
	require.NotNil(t, p.Next)
	e.as(t, access.RolePrivacy, http.MethodGet, fmt.Sprintf("/api/v1/suppressions?limit=1&after=%d", *p.Next), nil).json(t, &p)
	require.Len(t, p.Items, 1)
	assert.Equal(t, dom.ID, p.Items[0].ID)
	e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/suppressions?address=WHO@kone.example", nil).json(t, &p)
	require.Len(t, p.Items, 1)
	assert.Equal(t, addr.ID, p.Items[0].ID)
	res = e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/suppressions?reason=dislike", nil)
	assert.Equal(t, http.StatusBadRequest, res.status)

	path := fmt.Sprintf("/api/v1/suppressions/%d", addr.ID)
	res = e.as(t, access.RolePrivacy, http.MethodDelete, path, nil)
	assert.Equal(t, http.StatusForbidden, res.status, "only admins remove")
	res = e.as(t, access.RoleAdmin, http.MethodDelete, path, nil)
	require.Equal(t, http.StatusNoContent, res.status, "%s", res.body)
	v, err = e.list.Check(e.ctx, 0, "who@kone.example")
	require.NoError(t, err)
	assert.False(t, v.Suppressed)
	res = e.as(t, access.RoleAdmin, http.MethodDelete, path, nil)
	assert.Equal(t, http.StatusNotFound, res.status)
	res = e.as(t, access.RoleAdmin, http.MethodGet, path, nil)
	assert.Equal(t, http.StatusNotFound, res.status)

	removals := e.audit(t, access.ActionSuppressionRemove)
	require.Len(t, removals, 1, "the removal is audited, the refused attempts not")
	assert.Equal(t, "staff-admin", removals[0].Actor)
	assert.Equal(t, fmt.Sprintf("suppressions/%d", addr.ID), removals[0].Target)
}

func TestSuppressionsImportExport(t *testing.T) {
	t.Parallel()
	e := setup(t)
	body := "email,domain,reason\nA@Kone.example,,\n,spam.example,complaint\nbroken,,\nb@kone.example,,dislike\n"
	res := e.send(t, http.MethodPost, "/api/v1/suppressions/import?source=old+system", e.tokens[access.RolePrivacy],
		"text/csv", strings.NewReader(body))
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var got suppression.ImportResult
	res.json(t, &got)
	assert.Equal(t, 2, got.Added)
	assert.Equal(t, 2, got.Rejected)
	require.Len(t, got.Errors, 2)
	assert.Equal(t, 4, got.Errors[0].Line)
	v, err := e.list.Check(e.ctx, 0, "a@kone.example")
	require.NoError(t, err)
	assert.True(t, v.Suppressed)

	res = e.send(t, http.MethodPost, "/api/v1/suppressions/import?hash_only=maybe", e.tokens[access.RolePrivacy],
		"text/csv", strings.NewReader(body))
	assert.Equal(t, http.StatusBadRequest, res.status)

	res = e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/suppressions/export", nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Contains(t, res.header.Get("Content-Type"), "text/csv")
	assert.Contains(t, res.header.Get("Content-Disposition"), "attachment")
	rows, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, "email", rows[0][1])
	assert.Equal(t, "a@kone.example", rows[1][1])
	assert.Equal(t, "old system", rows[1][6])
	assert.Equal(t, "staff-privacy", rows[1][7])

	res = e.as(t, access.RoleMarketer, http.MethodGet, "/api/v1/suppressions/export", nil)
	assert.Equal(t, http.StatusForbidden, res.status)
}

// When the suppression list cannot be written (Redis down), adding answers 503 and stores nothing:
// the caller knows to try again.
func TestSuppressionUnavailable(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) { o.redisURL = "redis://127.0.0.1:1/0" })
	res := e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/suppressions", map[string]any{"address": "who@kone.example"})
	assert.Equal(t, http.StatusServiceUnavailable, res.status, "%s", res.body)
	assert.NotEmpty(t, res.header.Get("Retry-After"))
	msg, _ := res.errorBody(t)
	assert.NotContains(t, msg, "127.0.0.1")
	n, err := e.list.Count(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n)

	c := fixture.Contact(t, e.db.Pool, "obj@kone.example", "CEO")
	res = e.as(t, access.RolePrivacy, http.MethodPost, fmt.Sprintf("/api/v1/contacts/%d/objection", c.ID),
		map[string]any{"source": "phone"})
	assert.Equal(t, http.StatusServiceUnavailable, res.status, "%s", res.body)
}
