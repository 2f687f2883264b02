package api

import (
	"errors"
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
	audit   string            // access.Action* recorded when it succeeds; "" for plain reads
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
		{pattern: "POST " + v1 + "/brands", perm: access.BrandsWrite, audit: access.ActionBrandCreate, handle: a.createBrand},
		{pattern: "PUT " + v1 + "/brands/{id}", perm: access.BrandsWrite, audit: access.ActionBrandUpdate, handle: a.updateBrand},

		{pattern: "GET " + v1 + "/contacts", perm: access.RegisterRead, handle: a.listContacts},
		{pattern: "GET " + v1 + "/contacts/{id}", perm: access.RegisterRead, handle: a.getContact},
		{pattern: "POST " + v1 + "/contacts", perm: access.RegisterWrite, audit: access.ActionContactUpsert, handle: a.upsertContact},
		{pattern: "PATCH " + v1 + "/contacts/{id}", perm: access.ContactsRectify, audit: access.ActionContactRectify, handle: a.rectifyContact},
		{pattern: "POST " + v1 + "/contacts/import", perm: access.RegisterWrite, audit: access.ActionContactImport, body: bodyUpload, handle: a.importContacts},
		{pattern: "GET " + v1 + "/contacts/{id}/permissions", perm: access.RegisterRead, handle: a.listPermissions},
		{pattern: "POST " + v1 + "/contacts/{id}/permissions", perm: access.ConsentWrite, audit: access.ActionContactPermission, handle: a.recordPermission},
		{pattern: "POST " + v1 + "/contacts/{id}/objection", perm: access.SubjectsManage, audit: access.ActionSubjectObjection, handle: a.objection},
		{pattern: "GET " + v1 + "/contacts/{id}/tracking", perm: access.RegisterRead, handle: a.listTrackingChoices},
		{pattern: "POST " + v1 + "/contacts/{id}/tracking", perm: access.ConsentWrite, audit: access.ActionContactTracking, handle: a.setTracking},

		{pattern: "GET " + v1 + "/subjects/export", perm: access.SubjectsManage, audit: access.ActionSubjectExport, handle: a.exportSubject},
		{pattern: "POST " + v1 + "/subjects/export", perm: access.SubjectsManage, audit: access.ActionSubjectExport, handle: a.exportSubject},
		{pattern: "POST " + v1 + "/subjects/objection", perm: access.SubjectsManage, audit: access.ActionSubjectObjection, handle: a.objectSubject},
		{pattern: "POST " + v1 + "/subjects/erase", perm: access.SubjectsManage, audit: access.ActionSubjectErase, handle: a.eraseSubject},

		{pattern: "POST " + v1 + "/segments/preview", perm: access.SegmentsRead, handle: a.previewSegment},

		{pattern: "GET " + v1 + "/campaigns", perm: access.CampaignsRead, handle: a.listCampaigns},
		{pattern: "GET " + v1 + "/campaigns/{id}", perm: access.CampaignsRead, handle: a.getCampaign},
		{pattern: "POST " + v1 + "/campaigns", perm: access.CampaignsWrite, audit: access.ActionCampaignCreate, handle: a.createCampaign},
		{pattern: "PUT " + v1 + "/campaigns/{id}", perm: access.CampaignsWrite, audit: access.ActionCampaignUpdate, handle: a.updateCampaign},
		{pattern: "POST " + v1 + "/campaigns/{id}/schedule", perm: access.CampaignsWrite, audit: access.ActionCampaignSchedule, handle: a.scheduleCampaign},
		{pattern: "POST " + v1 + "/campaigns/{id}/pause", perm: access.CampaignsWrite, audit: access.ActionCampaignPause, handle: a.pauseCampaign},
		{pattern: "POST " + v1 + "/campaigns/{id}/resume", perm: access.CampaignsWrite, audit: access.ActionCampaignResume, handle: a.resumeCampaign},
		{pattern: "POST " + v1 + "/campaigns/{id}/cancel", perm: access.CampaignsWrite, audit: access.ActionCampaignCancel, handle: a.cancelCampaign},
		{pattern: "POST " + v1 + "/campaigns/{id}/test", perm: access.CampaignsWrite, audit: access.ActionCampaignTest, handle: a.testCampaign},

		{pattern: "GET " + v1 + "/suppressions", perm: access.SuppressionsRead, handle: a.listSuppressions},
		{pattern: "GET " + v1 + "/suppressions/{id}", perm: access.SuppressionsRead, handle: a.getSuppression},
		{pattern: "POST " + v1 + "/suppressions", perm: access.SuppressionsWrite, audit: access.ActionSuppressionAdd, handle: a.addSuppression},
		{pattern: "DELETE " + v1 + "/suppressions/{id}", perm: access.SuppressionsRemove, audit: access.ActionSuppressionRemove, handle: a.removeSuppression},
		{pattern: "POST " + v1 + "/suppressions/import", perm: access.SuppressionsWrite, audit: access.ActionSuppressionImport, body: bodyUpload, handle: a.importSuppressions},
		{pattern: "GET " + v1 + "/suppressions/export", perm: access.SuppressionsExport, audit: access.ActionSuppressionExport, handle: a.exportSuppressions},

		{pattern: "GET " + v1 + "/users", perm: access.UsersManage, handle: a.listUsers},
		{pattern: "GET " + v1 + "/users/{id}", perm: access.UsersManage, handle: a.getUser},
		{pattern: "POST " + v1 + "/users", perm: access.UsersManage, audit: access.ActionUserCreate, handle: a.createUser},
		{pattern: "PATCH " + v1 + "/users/{id}", perm: access.UsersManage, audit: access.ActionUserUpdate, handle: a.updateUser},
		{pattern: "GET " + v1 + "/users/{id}/tokens", perm: access.UsersManage, handle: a.listTokens},
		{pattern: "POST " + v1 + "/users/{id}/tokens", perm: access.UsersManage, audit: access.ActionTokenIssue, handle: a.issueToken},
		{pattern: "DELETE " + v1 + "/users/{id}/tokens/{token_id}", perm: access.UsersManage, audit: access.ActionTokenRevoke, handle: a.revokeToken},

		{pattern: "GET " + v1 + "/audit", perm: access.AuditRead, handle: a.listAudit},
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
		c, ok := a.authorize(w, r, rt.perm)
		if !ok {
			return
		}
		r = r.WithContext(withCaller(r.Context(), c))
		rec := &auditWriter{ResponseWriter: w}
		if rt.audit != "" {
			ctx, note := withAuditNote(r.Context(), rt.audit, pathTarget(rt.pattern, r))
			r = r.WithContext(ctx)
			audited := r
			rec.audit = func() error { return a.writeAudit(audited, note) }
		}
		if err := rt.handle(rec, r); err != nil {
			if errors.Is(err, errAuditFailed) {
				return // answered 500 and logged when the entry failed
			}
			a.fail(rec, r, err)
		}
		if rec.status == 0 { // the handler wrote nothing: net/http would answer 200
			rec.WriteHeader(http.StatusOK)
		}
	})
}
