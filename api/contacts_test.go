package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/register"
)

type contactPage struct {
	Items []register.Contact `json:"items"`
	Next  *int64             `json:"next"`
}

func TestContactUpsertGetList(t *testing.T) {
	t.Parallel()
	e := setup(t)
	in := map[string]any{"email": "Maija.Virtanen@Kone.Example", "first_name": "Maija",
		"job_title": "Purchasing Manager", "company_name": "Kone Oyj", "business_id": "0109862-8",
		"country": "fi", "attributes": map[string]any{"crm": "A-1"}}
	res := e.as(t, access.RoleMarketer, http.MethodPost, "/api/v1/contacts", in)
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var c register.Contact
	res.json(t, &c)
	assert.Equal(t, "maija.virtanen@kone.example", c.Email)
	assert.Equal(t, "FI", c.Country)

	res = e.as(t, access.RoleMarketer, http.MethodPost, "/api/v1/contacts",
		map[string]any{"email": "maija.virtanen@kone.example", "last_name": "Virtanen"})
	require.Equal(t, http.StatusOK, res.status, "an update is 200: %s", res.body)

	res = e.as(t, access.RoleAnalyst, http.MethodGet, fmt.Sprintf("/api/v1/contacts/%d", c.ID), nil)
	require.Equal(t, http.StatusOK, res.status)
	var got struct {
		register.Contact
		Company *register.Company `json:"company"`
	}
	res.json(t, &got)
	assert.Equal(t, "Virtanen", got.LastName)
	assert.Equal(t, "Maija", got.FirstName, "an upsert keeps what it is not given")
	require.NotNil(t, got.Company)
	assert.Equal(t, "0109862-8", got.Company.BusinessID)

	var page contactPage
	e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/contacts?email=MAIJA.virtanen@kone.example", nil).json(t, &page)
	require.Len(t, page.Items, 1)
	assert.Equal(t, c.ID, page.Items[0].ID)
	assert.Nil(t, page.Next)
	e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/contacts?email=nobody@kone.example", nil).json(t, &page)
	assert.Empty(t, page.Items)
	res = e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/contacts?email=not-an-address", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, res.status)

	res = e.as(t, access.RoleMarketer, http.MethodPost, "/api/v1/contacts", map[string]any{"email": "x@y.example", "kind": "b2x"})
	assert.Equal(t, http.StatusUnprocessableEntity, res.status)
	_, details := res.errorBody(t)
	assert.Equal(t, "kind", details["field"])
	res = e.as(t, access.RoleMarketer, http.MethodGet, "/api/v1/contacts/999999", nil)
	assert.Equal(t, http.StatusNotFound, res.status)
}

func TestContactsKeysetPages(t *testing.T) {
	t.Parallel()
	e := setup(t)
	fixture.Contacts(t, e.db.Pool, "pages.example", 25)
	var ids []int64
	path := "/api/v1/contacts?limit=10"
	for range 10 {
		var page contactPage
		res := e.as(t, access.RoleAnalyst, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, res.status, "%s", res.body)
		res.json(t, &page)
		for _, c := range page.Items {
			ids = append(ids, c.ID)
		}
		if page.Next == nil {
			break
		}
		assert.Len(t, page.Items, 10)
		path = fmt.Sprintf("/api/v1/contacts?limit=10&after=%d", *page.Next)
	}
	require.Len(t, ids, 25)
	assert.IsIncreasing(t, ids)
	for _, bad := range []string{"?limit=0", "?limit=1001", "?limit=x", "?after=-1", "?after=x"} {
		res := e.as(t, access.RoleAnalyst, http.MethodGet, "/api/v1/contacts"+bad, nil)
		assert.Equal(t, http.StatusBadRequest, res.status, bad)
	}
}

func TestRectifyContact(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := fixture.Contact(t, e.db.Pool, "pekka@kone.example", "CEO")
	path := fmt.Sprintf("/api/v1/contacts/%d", c.ID)
	res := e.as(t, access.RolePrivacy, http.MethodPatch, path, map[string]any{"last_name": "Korhonen", "phone": "", "job_title": "CEO"})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var out struct {
		Contact register.Contact `json:"contact"`
		Changed []string         `json:"changed"`
	}
	res.json(t, &out)
	assert.Equal(t, []string{"last_name"}, out.Changed)
	assert.Equal(t, "Korhonen", out.Contact.LastName)

	res = e.as(t, access.RolePrivacy, http.MethodPatch, path, map[string]any{"email": "bad"})
	assert.Equal(t, http.StatusUnprocessableEntity, res.status)
	res = e.as(t, access.RolePrivacy, http.MethodPatch, path, map[string]any{"emial": "x@y.example"})
	assert.Equal(t, http.StatusBadRequest, res.status)
	other := fixture.Contact(t, e.db.Pool, "other@kone.example", "CFO")
	res = e.as(t, access.RolePrivacy, http.MethodPatch, path, map[string]any{"email": other.Email})
	assert.Equal(t, http.StatusConflict, res.status)
	stored, err := register.New(e.db.Pool).Contact(e.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, "pekka@kone.example", stored.Email, "refused changes leave the contact as it was")
	assert.Equal(t, "Korhonen", stored.LastName)

	audit := e.audit(t, access.ActionContactRectify)
	require.Len(t, audit, 1, "refused requests are not audited")
	last := audit[0]
	assert.Equal(t, "127.0.0.1", last.IP)
	assert.Equal(t, e.users[access.RolePrivacy].ID, last.UserID)
	assert.NotZero(t, last.TokenID)
	assert.Equal(t, "staff-privacy", last.Actor)
	assert.Equal(t, fmt.Sprintf("contacts/%d", c.ID), last.Target)
	assert.Equal(t, []any{"last_name"}, last.Detail["changed"], "field names, not values")
}

func TestPermissionsAndObjection(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := fixture.Contact(t, e.db.Pool, "liisa@kone.example", "Buyer")
	base := fmt.Sprintf("/api/v1/contacts/%d", c.ID)

	res := e.as(t, access.RoleMarketer, http.MethodPost, base+"/permissions", map[string]any{"action": "consent", "source": "webinar form"})
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var p register.Permission
	res.json(t, &p)
	assert.Equal(t, "staff-marketer", p.Actor, "the actor is the calling user")
	res = e.as(t, access.RoleMarketer, http.MethodPost, base+"/permissions", map[string]any{"action": "maybe"})
	assert.Equal(t, http.StatusUnprocessableEntity, res.status)

	res = e.as(t, access.RolePrivacy, http.MethodPost, base+"/objection", map[string]any{})
	assert.Equal(t, http.StatusUnprocessableEntity, res.status, "the source is required")
	res = e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/contacts/999999/objection", map[string]any{"source": "phone"})
	assert.Equal(t, http.StatusNotFound, res.status)

	res = e.as(t, access.RolePrivacy, http.MethodPost, base+"/objection", map[string]any{"source": "requested by email"})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var after register.Contact
	res.json(t, &after)
	assert.NotNil(t, after.BannedAt)
	v, err := e.list.Check(e.ctx, 0, c.Email)
	require.NoError(t, err)
	assert.True(t, v.Suppressed, "effective immediately for every later send")
	entries, err := e.list.Find(e.ctx, c.Email)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "staff-privacy", entries[0].Actor)
	assert.Equal(t, "requested by email", entries[0].Source)

	var hist struct {
		Items []register.Permission `json:"items"`
	}
	e.as(t, access.RoleAnalyst, http.MethodGet, base+"/permissions", nil).json(t, &hist)
	require.Len(t, hist.Items, 2)
	assert.Equal(t, register.ActionBan, hist.Items[1].Action)
	assert.Equal(t, "staff-privacy", hist.Items[1].Actor)
	res = e.as(t, access.RoleAnalyst, http.MethodGet, "/api/v1/contacts/999999/permissions", nil)
	assert.Equal(t, http.StatusNotFound, res.status)
}
