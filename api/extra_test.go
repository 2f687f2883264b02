package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/api"
)

// thingRoutes stand in for another package's routes (a report, its CSV, a subscription).
func thingRoutes() []api.Route {
	return []api.Route{
		{Pattern: "GET /api/v1/things/{id}", Perm: access.ReportsRead, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":%q,"by":%q}`, r.PathValue("id"), api.Actor(r))
		})},
		{Pattern: "GET /api/v1/things/{id}/export.csv", Perm: access.ReportsRead, Audit: access.ActionReportExport,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/csv")
				fmt.Fprintln(w, "contact_id,status")
			})},
		{Pattern: "POST /api/v1/things", Perm: access.WebhooksManage, Audit: access.ActionWebhookCreate,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusUnprocessableEntity)
				fmt.Fprintln(w, `{"error":"no"}`)
			})},
	}
}

func withThings(o *options) { o.routes = thingRoutes() }

func TestOtherPackagesRoutesAreGuardedAndAudited(t *testing.T) {
	t.Parallel()
	e := setup(t, withThings)
	assert.Equal(t, http.StatusUnauthorized, e.do(t, http.MethodGet, "/api/v1/things/5", "", nil).status)
	assert.Equal(t, http.StatusForbidden, e.as(t, access.RolePrivacy, http.MethodGet, "/api/v1/things/5", nil).status)
	res := e.as(t, access.RoleAnalyst, http.MethodGet, "/api/v1/things/5", nil)
	require.Equal(t, http.StatusOK, res.status)
	assert.JSONEq(t, `{"id":"5","by":"staff-analyst"}`, string(res.body))
	assert.Equal(t, "no-store", res.header.Get("Cache-Control"))

	res = e.as(t, access.RoleAnalyst, http.MethodGet, "/api/v1/things/5/export.csv", nil)
	require.Equal(t, http.StatusOK, res.status)
	exports := e.audit(t, access.ActionReportExport)
	require.Len(t, exports, 1)
	assert.Equal(t, "things/5", exports[0].Target)
	assert.Equal(t, "staff-analyst", exports[0].Actor)

	assert.Equal(t, http.StatusForbidden, e.as(t, access.RoleMarketer, http.MethodPost, "/api/v1/things", nil).status,
		"webhooks are an administrator's")
	assert.Equal(t, http.StatusUnprocessableEntity, e.as(t, access.RoleAdmin, http.MethodPost, "/api/v1/things", nil).status)
	assert.Empty(t, e.audit(t, access.ActionWebhookCreate), "a refused request is not audited")
}

func TestRouteWithoutHandlerPanics(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() {
		setup(t, func(o *options) { o.routes = []api.Route{{Pattern: "GET /api/v1/x", Perm: access.ReportsRead}} })
	})
	assert.Panics(t, func() {
		setup(t, func(o *options) {
			o.routes = []api.Route{{Pattern: "GET /api/v1/x", Perm: "nothing", Handler: http.NotFoundHandler()}}
		})
	})
}

// A streaming route flushes through the audit writer: the entry is written before the first
// flushed byte, and the stream arrives.
func TestStreamingRouteFlushesAfterItsEntry(t *testing.T) {
	t.Parallel()
	var entriesAtFlush int
	var e *env
	e = setup(t, func(o *options) {
		o.routes = []api.Route{{Pattern: "GET /api/v1/stream", Perm: access.EventsRead, Audit: access.ActionReportExport,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rc := http.NewResponseController(w)
				require.NoError(t, rc.Flush())
				entriesAtFlush = len(e.audit(t, access.ActionReportExport))
				fmt.Fprintln(w, `{"n":1}`)
			})}}
	})
	res := e.as(t, access.RoleAnalyst, http.MethodGet, "/api/v1/stream", nil)
	require.Equal(t, http.StatusOK, res.status)
	assert.Equal(t, "{\"n\":1}\n", string(res.body))
	assert.Equal(t, 1, entriesAtFlush, "recorded before anything left")
}
