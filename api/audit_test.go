package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/api"
	"github.com/kirje/kirje/internal/fixture"
)

// call is one successful request of the scripted session below.
type call struct {
	role         access.Role
	method, path string
	body         any
	ctype        string // a CSV upload when set
}

// TestEveryAuditedRouteWritesItsEntry performs every audited route once, successfully, and
// checks that the audit log then holds an entry for every action the route table names, with
// who, from where and a target; and that reads (not audited) add nothing.
func TestEveryAuditedRouteWritesItsEntry(t *testing.T) {
	t.Parallel()
	e := setup(t)
	brand := fixture.Brand(t, e.db.Pool, "kone")
	c := fixture.Contact(t, e.db.Pool, "buyer@kone.example", "Purchasing Manager")
	contact := fmt.Sprintf("/api/v1/contacts/%d", c.ID)

	var campaignID, userID, tokenID, suppressionID int64
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	steps := []func() call{
		func() call { return call{access.RoleMarketer, "POST", "/api/v1/brands", brandBody("other"), ""} },
		func() call {
			return call{access.RoleMarketer, "PUT", fmt.Sprintf("/api/v1/brands/%d", brand.ID), brandBody("kone"), ""}
		},
		func() call {
			return call{access.RoleMarketer, "POST", "/api/v1/contacts", map[string]any{"email": "new@kone.example"}, ""}
		},
		func() call {
			return call{access.RolePrivacy, "PATCH", contact, map[string]any{"last_name": "Korhonen"}, ""}
		},
		func() call {
			return call{access.RoleMarketer, "POST", "/api/v1/contacts/import", "email\nimported@kone.example\n", "text/csv"}
		},
		func() call {
			return call{access.RoleMarketer, "POST", contact + "/permissions", map[string]any{"action": "consent", "source": "form"}, ""}
		},
		func() call {
			return call{access.RolePrivacy, "POST", contact + "/tracking", map[string]any{"level": "aggregate", "source": "asked"}, ""}
		},
		func() call {
			return call{access.RoleMarketer, "POST", "/api/v1/campaigns", campaignBody(brand.ID, map[string]any{}), ""}
		},
		func() call {
			return call{access.RoleMarketer, "PUT", fmt.Sprintf("/api/v1/campaigns/%d", campaignID), campaignBody(brand.ID, map[string]any{}), ""}
		},
		func() call {
			return call{access.RoleMarketer, "POST", fmt.Sprintf("/api/v1/campaigns/%d/test", campaignID),
				map[string]any{"to": []string{"staff@kone.example"}}, ""}
		},
		func() call {
			return call{access.RoleMarketer, "POST", fmt.Sprintf("/api/v1/campaigns/%d/schedule", campaignID), map[string]any{"at": later}, ""}
		},
		func() call {
			return call{access.RoleMarketer, "POST", fmt.Sprintf("/api/v1/campaigns/%d/pause", campaignID), nil, ""}
		},
		func() call {
			return call{access.RoleMarketer, "POST", fmt.Sprintf("/api/v1/campaigns/%d/resume", campaignID), nil, ""}
		},
		func() call {
			return call{access.RoleMarketer, "POST", fmt.Sprintf("/api/v1/campaigns/%d/cancel", campaignID), nil, ""}
		},
		func() call {
			return call{access.RolePrivacy, "POST", "/api/v1/suppressions", map[string]any{"address": "gone@kone.example"}, ""}
		},
		func() call {
			return call{access.RoleAdmin, "DELETE", fmt.Sprintf("/api/v1/suppressions/%d", suppressionID), nil, ""}
		},
		func() call {
			return call{access.RolePrivacy, "POST", "/api/v1/suppressions/import", "email\nx@kone.example\n", "text/csv"}
		},
		func() call { return call{access.RolePrivacy, "GET", "/api/v1/suppressions/export", nil, ""} },
		func() call {
			return call{access.RolePrivacy, "GET", "/api/v1/subjects/export?email=buyer@kone.example", nil, ""}
		},
		func() call {
			return call{access.RolePrivacy, "POST", "/api/v1/subjects/objection", map[string]any{"email": "new@kone.example", "source": "phone"}, ""}
		},
		func() call {
			return call{access.RolePrivacy, "POST", contact + "/objection", map[string]any{"source": "requested by email"}, ""}
		},
		func() call {
			return call{access.RolePrivacy, "POST", "/api/v1/subjects/erase", map[string]any{"email": "imported@kone.example"}, ""}
		},
		func() call {
			return call{access.RoleAdmin, "POST", "/api/v1/users", map[string]any{"name": "crm", "role": "analyst"}, ""}
		},
		func() call {
			return call{access.RoleAdmin, "PATCH", fmt.Sprintf("/api/v1/users/%d", userID), map[string]any{"role": "marketer"}, ""}
		},
		func() call {
			return call{access.RoleAdmin, "POST", fmt.Sprintf("/api/v1/users/%d/tokens", userID), map[string]any{"label": "x"}, ""}
		},
		func() call {
			return call{access.RoleAdmin, "DELETE", fmt.Sprintf("/api/v1/users/%d/tokens/%d", userID, tokenID), nil, ""}
		},
	}
	for _, step := range steps {
		c := step()
		var res resp
		if c.ctype != "" {
			res = e.send(t, c.method, c.path, e.tokens[c.role], c.ctype, strings.NewReader(c.body.(string)))
		} else {
			res = e.as(t, c.role, c.method, c.path, c.body)
		}
		require.Less(t, res.status, 300, "%s %s: %s", c.method, c.path, res.body)
		var created struct {
			ID int64 `json:"id"`
		}
		if res.status == http.StatusCreated {
			res.json(t, &created)
		}
		switch {
		case c.method == "POST" && c.path == "/api/v1/campaigns":
			campaignID = created.ID
		case c.path == "/api/v1/users":
			userID = created.ID
		case strings.HasSuffix(c.path, "/tokens"):
			tokenID = created.ID
		case c.path == "/api/v1/suppressions":
			suppressionID = created.ID
		}
	}

	entries := e.audit(t, "")
	var recorded []string
	for _, en := range entries {
		if en.Action == access.ActionSignIn {
			continue
		}
		recorded = append(recorded, en.Action)
		assert.NotEmpty(t, en.Actor, en.Action)
		assert.NotZero(t, en.UserID, en.Action)
		assert.NotZero(t, en.TokenID, en.Action)
		assert.Equal(t, "127.0.0.1", en.IP, en.Action)
		if en.Action != access.ActionSuppressionImport && en.Action != access.ActionSuppressionExport &&
			en.Action != access.ActionContactImport {
			assert.NotEmpty(t, en.Target, "%s names what it acted on", en.Action)
		}
		assert.NotContains(t, fmt.Sprint(en), "@kone.example", "%s: no address in the audit log", en.Action)
	}
	for _, rt := range api.Routes(e.handler) {
		if rt.Audit != "" {
			assert.Contains(t, recorded, rt.Audit, "%s wrote no entry", rt.Pattern)
		}
	}
	assert.Len(t, recorded, len(steps), "one entry per audited request")
	assert.Len(t, e.audit(t, access.ActionSubjectObjection), 2, "by address and by contact")

	signIns := e.audit(t, access.ActionSignIn)
	var signedIn []string
	for _, s := range signIns {
		signedIn = append(signedIn, s.Actor)
	}
	slices.Sort(signedIn)
	assert.Equal(t, []string{"staff-admin", "staff-marketer", "staff-privacy"}, signedIn, "one sign-in per token and day")

	before := len(e.audit(t, ""))
	for _, p := range []string{"/api/v1/contacts", contact, "/api/v1/users", "/api/v1/audit"} {
		res := e.as(t, access.RoleAdmin, http.MethodGet, p, nil)
		require.Equal(t, http.StatusOK, res.status, p)
	}
	assert.Len(t, e.audit(t, ""), before, "reads are not audited")
}

func brandBody(name string) map[string]any {
	return map[string]any{"name": name, "from": "News <news@" + name + ".example>", "postal_address": "Hämeenkatu 1, Tampere"}
}

func TestAuditLogAPI(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, a := range []struct{ actor, action string }{
		{"cli:root", access.ActionUserCreate}, {"staff-privacy", access.ActionSubjectErase}, {"cli:root", access.ActionSubjectErase},
	} {
		_, err := access.Audit(e.ctx, e.db.Pool, access.Entry{Actor: a.actor, Action: a.action, Target: "x/1"})
		require.NoError(t, err)
	}
	type page struct {
		Items []access.Entry `json:"items"`
		Next  *int64         `json:"next"`
	}
	var p page
	e.as(t, access.RoleAdmin, http.MethodGet, "/api/v1/audit?user=cli:root&limit=1", nil).json(t, &p)
	require.Len(t, p.Items, 1)
	assert.Equal(t, access.ActionUserCreate, p.Items[0].Action)
	require.NotNil(t, p.Next)
	e.as(t, access.RoleAdmin, http.MethodGet, fmt.Sprintf("/api/v1/audit?user=cli:root&after=%d", *p.Next), nil).json(t, &p)
	require.Len(t, p.Items, 1)
	assert.Equal(t, access.ActionSubjectErase, p.Items[0].Action)
	assert.Nil(t, p.Next)
	e.as(t, access.RoleAdmin, http.MethodGet, "/api/v1/audit?action=subject.erase", nil).json(t, &p)
	assert.Len(t, p.Items, 2)

	res := e.as(t, access.RoleAdmin, http.MethodGet, "/api/v1/audit?limit=0", nil)
	assert.Equal(t, http.StatusBadRequest, res.status)
	for _, role := range []access.Role{access.RolePrivacy, access.RoleMarketer, access.RoleAnalyst} {
		res := e.as(t, role, http.MethodGet, "/api/v1/audit", nil)
		assert.Equal(t, http.StatusForbidden, res.status, "only admins read the audit log")
	}
}

// When the audit entry cannot be written, the request fails with 500 and the entry goes to the
// error log: after a change whose transaction is the API's own, the change is rolled back; an
// export sends nothing; a change committed elsewhere is reported as failed.
func TestAuditFailureFailsTheRequest(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := fixture.Contact(t, e.db.Pool, "buyer@kone.example", "Purchasing Manager")
	_, err := e.db.Pool.Exec(e.ctx, `
CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit();`)
	require.NoError(t, err)

	// Sign-ins are audited too: a token's first use today cannot be recorded either.
	res := e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/me", nil)
	assert.Equal(t, http.StatusInternalServerError, res.status)
	_, err = e.db.Pool.Exec(e.ctx, `UPDATE api_tokens SET last_used_at = now()`)
	require.NoError(t, err)

	res = e.as(t, access.RolePrivacy, http.MethodPatch, fmt.Sprintf("/api/v1/contacts/%d", c.ID), map[string]any{"last_name": "Korhonen"})
	assert.Equal(t, http.StatusInternalServerError, res.status)
	msg, _ := res.errorBody(t)
	assert.NotContains(t, msg, "disk full", "no internals in the answer")
	var last string
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT last_name FROM contacts WHERE id = $1`, c.ID).Scan(&last))
	assert.Equal(t, "Person", last, "the rectification rolled back with its entry")

	res = e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/suppressions/export", nil)
	assert.Equal(t, http.StatusInternalServerError, res.status)
	assert.Empty(t, res.header.Get("Content-Disposition"))
	assert.NotContains(t, string(res.body), "email", "no CSV leaves without its record")

	res = e.as(t, access.RolePrivacy, http.MethodPost, "/api/v1/suppressions", map[string]any{"address": "x@kone.example"})
	assert.Equal(t, http.StatusInternalServerError, res.status)
	assert.Contains(t, e.logs.String(), "api: audit entry not written")
	assert.Contains(t, e.logs.String(), `"action":"suppression.add"`, "the entry is in the error log")
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tt := range []struct {
		token, path string
		status      int
	}{
		{e.tokens[access.RoleAdmin], "/api/v1/me", http.StatusOK},
		{"", "/api/v1/me", http.StatusUnauthorized},
		{e.tokens[access.RoleAdmin], "/api/v1/nowhere", http.StatusNotFound},
	} {
		res := e.do(t, http.MethodGet, tt.path, tt.token, nil)
		require.Equal(t, tt.status, res.status, tt.path)
		assert.Equal(t, "no-store", res.header.Get("Cache-Control"))
		assert.Equal(t, "nosniff", res.header.Get("X-Content-Type-Options"))
		assert.Equal(t, "default-src 'none'; frame-ancestors 'none'", res.header.Get("Content-Security-Policy"))
		assert.Equal(t, "no-referrer", res.header.Get("Referrer-Policy"))
		assert.Equal(t, "DENY", res.header.Get("X-Frame-Options"))
	}
}
