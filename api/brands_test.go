package api_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/register"
)

func dkimKeyPEM(t *testing.T) string {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestBrands(t *testing.T) {
	t.Parallel()
	e := setup(t)
	key := dkimKeyPEM(t)
	in := map[string]any{"name": "Kone", "from": "Kone News <news@kone.example>",
		"postal_address": "Katu 1, Helsinki", "dkim_domain": "kone.example", "dkim_selector": "k1",
		"dkim_key_pem": key}
	res := e.as(t, access.RoleMarketer, http.MethodPost, "/api/v1/brands", in)
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var b register.Brand
	res.json(t, &b)
	assert.Equal(t, "news@kone.example", b.FromAddress)
	assert.Equal(t, "k1", b.DKIMSelector)
	keyBody := strings.Split(key, "\n")[1]
	assert.NotContains(t, string(res.body), keyBody, "the DKIM key never comes out")
	assert.NotContains(t, string(res.body), "dkim_key")

	for _, path := range []string{"/api/v1/brands", fmt.Sprintf("/api/v1/brands/%d", b.ID)} {
		res = e.as(t, access.RoleAnalyst, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, res.status)
		assert.Contains(t, string(res.body), `"Kone"`)
		assert.NotContains(t, string(res.body), keyBody)
	}

	// Update without the key keeps it; the name can change.
	in["name"], in["dkim_key_pem"] = "Kone Oy", ""
	res = e.as(t, access.RoleMarketer, http.MethodPut, fmt.Sprintf("/api/v1/brands/%d", b.ID), in)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	stored, err := register.New(e.db.Pool).Brand(e.ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, "Kone Oy", stored.Name)
	assert.Equal(t, strings.TrimSpace(key), strings.TrimSpace(stored.DKIMKeyPEM), "the key is kept")

	res = e.as(t, access.RoleMarketer, http.MethodGet, "/api/v1/brands/999999", nil)
	assert.Equal(t, http.StatusNotFound, res.status)
	res = e.as(t, access.RoleMarketer, http.MethodGet, "/api/v1/brands/x", nil)
	assert.Equal(t, http.StatusBadRequest, res.status)
}

func TestBrandsBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ok := map[string]any{"name": "Kone", "from": "news@kone.example", "postal_address": "Katu 1"}
	res := e.as(t, access.RoleAdmin, http.MethodPost, "/api/v1/brands", ok)
	require.Equal(t, http.StatusCreated, res.status)

	tests := []struct {
		name   string
		body   any
		status int
		msg    string
		field  string
	}{
		{"duplicate name", ok, http.StatusConflict, "", ""},
		{"missing from", map[string]any{"name": "B", "postal_address": "Katu 1"}, http.StatusUnprocessableEntity, "from", "from"},
		{"bad key", map[string]any{"name": "C", "from": "a@c.example", "postal_address": "K",
			"dkim_domain": "c.example", "dkim_selector": "s", "dkim_key_pem": "nope"}, http.StatusUnprocessableEntity, "", "dkim_key"},
		{"unknown field", `{"name": "D", "form": "a@d.example"}`, http.StatusBadRequest, `unknown field "form"`, ""},
		{"malformed", `{"name": "D",`, http.StatusBadRequest, "ends in the middle", ""},
		{"syntax", `{"name" "D"}`, http.StatusBadRequest, "malformed JSON at byte", ""},
		{"wrong type", `{"name": 5}`, http.StatusBadRequest, `field "name": expected string`, ""},
		{"not an object", `[1]`, http.StatusBadRequest, "must be a JSON object", ""},
		{"two values", `{"name": "D"} {}`, http.StatusBadRequest, "one JSON value", ""},
		{"empty", ``, http.StatusBadRequest, "empty", ""},
	}
	for _, tt := range tests {
		res := e.as(t, access.RoleAdmin, http.MethodPost, "/api/v1/brands", tt.body)
		assert.Equal(t, tt.status, res.status, "%s: %s", tt.name, res.body)
		msg, details := res.errorBody(t)
		assert.Contains(t, msg, tt.msg, tt.name)
		if tt.field != "" {
			assert.Equal(t, tt.field, details["field"], tt.name)
		}
	}
	brands, err := register.New(e.db.Pool).ListBrands(e.ctx)
	require.NoError(t, err)
	assert.Len(t, brands, 1, "nothing stored by refused requests")
}

func TestOversizeBody(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) { o.maxBody = 1024 })
	body := map[string]any{"name": strings.Repeat("x", 2000), "from": "a@b.example", "postal_address": "K"}
	res := e.as(t, access.RoleAdmin, http.MethodPost, "/api/v1/brands", body)
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.status)
	msg, _ := res.errorBody(t)
	assert.Contains(t, msg, "1024 bytes")
	brands, err := register.New(e.db.Pool).ListBrands(e.ctx)
	require.NoError(t, err)
	assert.Empty(t, brands)
}
