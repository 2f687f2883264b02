package tracking

import (
	"errors"
	"net/http"

	"github.com/kirje/kirje/internal/emailaddr"
	"github.com/kirje/kirje/token"
)

// maxFormBody bounds a POST body to the unsubscribe URL.
const maxFormBody = 16 << 10

// verifyUnsubscribe returns the claims of the request's unsubscribe token, or answers 404 (the
// invalid-link page in the request's language) and returns false. A token without a contact
// cannot unsubscribe anyone.
func (h *Handler) verifyUnsubscribe(w http.ResponseWriter, r *http.Request) (token.Claims, bool) {
	c, err := h.keys.Verify(r.PathValue("token"), token.Unsubscribe)
	if err != nil || c.ContactID == 0 {
		h.logger.Debug("tracking: invalid token", "kind", "unsubscribe")
		h.pages.render(w, http.StatusNotFound, view{Page: pageInvalid, Lang: h.pages.lang(r, "")})
		return token.Claims{}, false
	}
	return c, true
}

// serveUnsubscribePage shows the unsubscribe form. GET and HEAD never change anything: security
// gateways fetch every link of a message, sometimes hours later.
func (h *Handler) serveUnsubscribePage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.verifyUnsubscribe(w, r)
	if !ok {
		return
	}
	v := view{Page: pageForm, Lang: h.pages.lang(r, "")}
	if ok, retry := h.allowPage(r); !ok {
		h.tooManyPage(w, v, retry)
		return
	}
	rcpt, err := h.recipients.Recipient(r.Context(), c.CampaignID, c.ContactID)
	if err != nil {
		h.pageError(w, v, c, "recipient lookup", err)
		return
	}
	v.Brand, v.Address = rcpt.BrandName, emailaddr.Mask(rcpt.Email)
	h.pages.render(w, http.StatusOK, v)
}

// serveUnsubscribePost handles both doors of POST /u/{token}: an RFC 8058 one-click request
// (body List-Unsubscribe=One-Click) and the page's form (action=unsubscribe|undo, scope, lang).
// The opt-out is committed before anything is written; if it fails, nothing claims success.
func (h *Handler) serveUnsubscribePost(w http.ResponseWriter, r *http.Request) {
	c, ok := h.verifyUnsubscribe(w, r)
	if !ok {
		return
	}
	if ok, retry := h.allowOptout(r, c.ContactID); !ok {
		tooMany(w, retry)
		return
	}
	form, err := readPost(w, r)
	if err != nil {
		badRequest(w, err)
		return
	}
	req := OptoutRequest{CampaignID: c.CampaignID, ContactID: c.ContactID, Scope: ScopeAll,
		IP: storedIP(clientIP(r, h.trustProxy), h.truncateIP), UserAgent: storedUA(r.UserAgent())}
	if form.oneClick {
		h.oneClick(w, r, req)
		return
	}
	h.pagePost(w, r, c, req, form)
}

// oneClick unsubscribes from all marketing and answers 200 with a tiny plain body: no redirect,
// no page, nothing a mailbox provider must follow.
func (h *Handler) oneClick(w http.ResponseWriter, r *http.Request, req OptoutRequest) {
	req.Source = SourceOneClick
	if err := h.optouts.Unsubscribe(r.Context(), req); err != nil {
		h.logger.Error("tracking: one-click unsubscribe failed", "campaign_id", req.CampaignID,
			"contact_id", req.ContactID, "err", err)
		if errors.Is(err, ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		unavailable(w)
		return
	}
	hdr := w.Header()
	hdr["Content-Type"] = hTextPlain
	hdr["Cache-Control"] = hNoStore
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("Unsubscribed.\n"))
}

// pagePost carries out the page's form: unsubscribe with the chosen scope, or undo.
func (h *Handler) pagePost(w http.ResponseWriter, r *http.Request, c token.Claims, req OptoutRequest, f postForm) {
	v := view{Lang: h.pages.lang(r, f.lang), Scope: f.scope}
	if f.scope != ScopeAll && f.scope != ScopeBrand || f.action != "unsubscribe" && f.action != "undo" {
		badRequest(w, errBadForm)
		return
	}
	rcpt, err := h.recipients.Recipient(r.Context(), c.CampaignID, c.ContactID)
	if err != nil {
		h.pageError(w, v, c, "recipient lookup", err)
		return
	}
	if f.scope == ScopeBrand && rcpt.BrandID == 0 {
		badRequest(w, errBadForm)
		return
	}
	v.Brand, v.Address = rcpt.BrandName, emailaddr.Mask(rcpt.Email)
	req.Scope, req.Source = f.scope, SourcePage
	apply, page := h.optouts.Unsubscribe, pageDone
	if f.action == "undo" {
		apply, page = h.optouts.Undo, pageUndone
	}
	err = apply(r.Context(), req)
	switch {
	case f.action == "undo" && errors.Is(err, ErrNothingToUndo):
		page = pageNothingToUndo
	case err != nil:
		h.pageError(w, v, c, f.action, err)
		return
	}
	v.Page = page
	h.pages.render(w, http.StatusOK, v)
}

// tooManyPage answers a page view over the client's rate limit: the "try again" page, 429.
func (h *Handler) tooManyPage(w http.ResponseWriter, v view, retryAfter string) {
	v.Page = pageUnavailable
	w.Header()["Retry-After"] = []string{retryAfter}
	h.pages.render(w, http.StatusTooManyRequests, v)
}

// pageError answers a failed lookup or opt-out on the page: 404 for ErrNotFound, else 503 with
// "try again". The log names the step; the page reveals nothing of the cause.
func (h *Handler) pageError(w http.ResponseWriter, v view, c token.Claims, step string, err error) {
	if errors.Is(err, ErrNotFound) {
		v.Page = pageInvalid
		h.pages.render(w, http.StatusNotFound, v)
		return
	}
	h.logger.Error("tracking: unsubscribe page failed", "step", step, "campaign_id", c.CampaignID,
		"contact_id", c.ContactID, "err", err)
	v.Page = pageUnavailable
	h.pages.render(w, http.StatusServiceUnavailable, v)
}
