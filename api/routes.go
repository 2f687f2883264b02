package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/kirje/kirje/access"
)

// handlerFunc is a route's handler. A returned error has not been answered yet: the edge maps it
// to a status (errors.go). A handler that wrote a response returns nil.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// body says how large a route's request body may be.
type body int

const (
	bodyJSON   body = iota // Config.MaxBodyBytes
	bodyUpload             // Config.MaxUploadBytes: streamed CSV
)

// route is one row of the route table.
type route struct {
	pattern string            // ServeMux pattern with method: "GET /api/v1/campaigns/{id}"
	perm    access.Permission // what the caller's role must grant; required
	audit   string            // action for the audit log when it succeeds; "" for plain reads
	body    body
	handle  handlerFunc
}

// table is every route of the API: the only place routes are declared.
func (a *API) table() []route {
	const v1 = "/api/v1"
	return []route{
		{pattern: "GET " + v1 + "/me", perm: access.AccountRead, handle: a.me},

		{pattern: "GET " + v1 + "/brands", perm: access.RegisterRead, handle: a.listBrands},
		{pattern: "GET " + v1 + "/brands/{id}", perm: access.RegisterRead, handle: a.getBrand},
		{pattern: "POST " + v1 + "/brands", perm: access.BrandsWrite, audit: "brand.create", handle: a.createBrand},
		{pattern: "PUT " + v1 + "/brands/{id}", perm: access.BrandsWrite, audit: "brand.update", handle: a.updateBrand},

		{pattern: "GET " + v1 + "/contacts", perm: access.RegisterRead, handle: a.listContacts},
		{pattern: "GET " + v1 + "/contacts/{id}", perm: access.RegisterRead, handle: a.getContact},
		{pattern: "POST " + v1 + "/contacts", perm: access.RegisterWrite, audit: "contact.upsert", handle: a.upsertContact},
		{pattern: "PATCH " + v1 + "/contacts/{id}", perm: access.ContactsRectify, audit: "contact.rectify", handle: a.rectifyContact},
		{pattern: "POST " + v1 + "/contacts/import", perm: access.RegisterWrite, audit: "contact.import", body: bodyUpload, handle: a.importContacts},
		{pattern: "GET " + v1 + "/contacts/{id}/permissions", perm: access.RegisterRead, handle: a.listPermissions},
		{pattern: "POST " + v1 + "/contacts/{id}/permissions", perm: access.ConsentWrite, audit: "contact.permission", handle: a.recordPermission},
		{pattern: "POST " + v1 + "/contacts/{id}/objection", perm: access.SubjectsManage, audit: "subject.objection", handle: a.objection},

		{pattern: "POST " + v1 + "/segments/preview", perm: access.SegmentsRead, handle: a.previewSegment},

		{pattern: "GET " + v1 + "/campaigns", perm: access.CampaignsRead, handle: a.listCampaigns},
		{pattern: "GET " + v1 + "/campaigns/{id}", perm: access.CampaignsRead, handle: a.getCampaign},
		{pattern: "POST " + v1 + "/campaigns", perm: access.CampaignsWrite, audit: "campaign.create", handle: a.createCampaign},
		{pattern: "PUT " + v1 + "/campaigns/{id}", perm: access.CampaignsWrite, audit: "campaign.update", handle: a.updateCampaign},
		{pattern: "POST " + v1 + "/campaigns/{id}/schedule", perm: access.CampaignsWrite, audit: "campaign.schedule", handle: a.scheduleCampaign},
		{pattern: "POST " + v1 + "/campaigns/{id}/pause", perm: access.CampaignsWrite, audit: "campaign.pause", handle: a.pauseCampaign},
		{pattern: "POST " + v1 + "/campaigns/{id}/resume", perm: access.CampaignsWrite, audit: "campaign.resume", handle: a.resumeCampaign},
		{pattern: "POST " + v1 + "/campaigns/{id}/cancel", perm: access.CampaignsWrite, audit: "campaign.cancel", handle: a.cancelCampaign},
		{pattern: "POST " + v1 + "/campaigns/{id}/test", perm: access.CampaignsWrite, audit: "campaign.test", handle: a.testCampaign},

		{pattern: "GET " + v1 + "/suppressions", perm: access.SuppressionsRead, handle: a.listSuppressions},
		{pattern: "GET " + v1 + "/suppressions/{id}", perm: access.SuppressionsRead, handle: a.getSuppression},
		{pattern: "POST " + v1 + "/suppressions", perm: access.SuppressionsWrite, audit: "suppression.add", handle: a.addSuppression},
		{pattern: "DELETE " + v1 + "/suppressions/{id}", perm: access.SuppressionsRemove, audit: "suppression.remove", handle: a.removeSuppression},
		{pattern: "POST " + v1 + "/suppressions/import", perm: access.SuppressionsWrite, audit: "suppression.import", body: bodyUpload, handle: a.importSuppressions},
		{pattern: "GET " + v1 + "/suppressions/export", perm: access.SuppressionsExport, audit: "suppression.export", handle: a.exportSuppressions},

		{pattern: "GET " + v1 + "/users", perm: access.UsersManage, handle: a.listUsers},
		{pattern: "GET " + v1 + "/users/{id}", perm: access.UsersManage, handle: a.getUser},
		{pattern: "POST " + v1 + "/users", perm: access.UsersManage, audit: "user.create", handle: a.createUser},
		{pattern: "PATCH " + v1 + "/users/{id}", perm: access.UsersManage, audit: "user.update", handle: a.updateUser},
		{pattern: "GET " + v1 + "/users/{id}/tokens", perm: access.UsersManage, handle: a.listTokens},
		{pattern: "POST " + v1 + "/users/{id}/tokens", perm: access.UsersManage, audit: "token.issue", handle: a.issueToken},
		{pattern: "DELETE " + v1 + "/users/{id}/tokens/{token_id}", perm: access.UsersManage, audit: "token.revoke", handle: a.revokeToken},
	}
}

// mount registers rt behind authentication, its permission check and body limit. A route
// without a known permission or handler is a programming error and panics at start-up.
func (a *API) mount(rt route) {
	if !slices.Contains(access.AllPermissions(), rt.perm) || rt.handle == nil {
		panic(fmt.Sprintf("api: route %q needs a handler and one of access's permissions", rt.pattern))
	}
	if method, _, ok := strings.Cut(rt.pattern, " "); !ok || method == "" {
		panic(fmt.Sprintf("api: route %q needs a method", rt.pattern))
	}
	limit := a.maxBody
	if rt.body == bodyUpload {
		limit = a.maxUpload
	}
	a.mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		w.Header().Set("Cache-Control", "no-store") // answers hold personal data and secrets
		c, ok := a.authorize(w, r, rt.perm)
		if !ok {
			return
		}
		rec := &statusWriter{ResponseWriter: w}
		ctx, note := withAuditNote(withCaller(r.Context(), c))
		r = r.WithContext(ctx)
		if err := rt.handle(rec, r); err != nil {
			a.fail(rec, r, err)
		}
		if rt.audit != "" && rec.status < 400 {
			a.audit(r, rt, c, note)
		}
	})
}

// statusWriter remembers the status written, for the audit decision.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes while streaming).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
