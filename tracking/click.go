package tracking

import (
	"errors"
	"net/http"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/token"
)

var hNoStore = []string{"no-store"}

// serveClick records a click and redirects (302) to the URL stored for the token's campaign and
// link; nothing in the request can choose another target. A honeypot link is recorded as machine
// traffic and answered with a harmless page instead of a redirect. The redirect is sent only once
// the click is durable; if recording fails, the answer is 503 with a page linking to the same
// stored URL, so a person still gets there and nothing acknowledges an unrecorded click. Over the
// client's rate limit it is the same page with 429, and nothing is recorded.
func (h *Handler) serveClick(w http.ResponseWriter, r *http.Request, tok string) {
	securityHeaders(w) // a redirect or a page (set twice, harmlessly, when routed through the mux)
	c, err := h.keys.Verify(tok, token.Click)
	if err != nil {
		h.logger.Debug("tracking: invalid token", "kind", "click")
		http.NotFound(w, r)
		return
	}
	target, err := h.links.get(r.Context(), c.CampaignID, c.LinkID)
	if err != nil {
		h.linkError(w, r, c, err)
		return
	}
	if ok, retry := h.allowHit(r); !ok {
		h.clickUnrecorded(w, target, http.StatusTooManyRequests, retry)
		return
	}
	hit := Hit{At: h.now(), Honeypot: target.honeypot}
	if c.ContactID != 0 { // aggregate tokens are shared by everyone: no per-person history
		hit.RecentLinks, hit.NearHoneypot = h.recent.observe(c.CampaignID, c.ContactID, c.LinkID, target.honeypot, hit.At)
	}
	ev := h.hitEvent(r, events.Click, c, hit)
	if err := h.record(r, ev); err != nil {
		h.logger.Error("tracking: click not recorded", "campaign_id", c.CampaignID, "contact_id", c.ContactID,
			"link_id", c.LinkID, "err", err)
		h.clickUnrecorded(w, target, http.StatusServiceUnavailable, hRetryAfter[0])
		return
	}
	hdr := w.Header()
	hdr["Cache-Control"] = hNoStore
	if target.honeypot {
		hdr["Content-Type"] = hTextPlain
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("OK\n"))
		return
	}
	hdr["Location"] = target.location
	w.WriteHeader(http.StatusFound)
}

// linkError answers a click whose link could not be resolved.
func (h *Handler) linkError(w http.ResponseWriter, r *http.Request, c token.Claims, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		http.NotFound(w, r)
	case errors.Is(err, errBadTarget):
		h.logger.Error("tracking: refusing to redirect", "campaign_id", c.CampaignID, "link_id", c.LinkID, "err", err)
		http.NotFound(w, r)
	default:
		h.logger.Error("tracking: link lookup failed", "campaign_id", c.CampaignID, "link_id", c.LinkID, "err", err)
		unavailable(w)
	}
}

// clickUnrecorded answers a click that was not recorded (status 503: recording failed; 429: over
// the rate limit) with a plain link to the stored target, so a person still gets there; a
// honeypot gets no link.
func (h *Handler) clickUnrecorded(w http.ResponseWriter, target linkTarget, status int, retryAfter string) {
	if target.honeypot {
		if status == http.StatusTooManyRequests {
			tooMany(w, retryAfter)
			return
		}
		unavailable(w)
		return
	}
	hdr := w.Header()
	hdr["Content-Type"] = hTextHTML
	hdr["Cache-Control"] = hNoStore
	hdr["Content-Security-Policy"] = []string{"default-src 'none'"}
	hdr["Retry-After"] = []string{retryAfter}
	w.WriteHeader(status)
	h.pages.onward.Execute(w, target.url)
}

var (
	hTextPlain  = []string{"text/plain; charset=utf-8"}
	hTextHTML   = []string{"text/html; charset=utf-8"}
	hRetryAfter = []string{"30"}
)

// unavailable answers 503 with a short plain message that reveals nothing of the cause.
func unavailable(w http.ResponseWriter) {
	hdr := w.Header()
	hdr["Content-Type"] = hTextPlain
	hdr["Cache-Control"] = hNoStore
	hdr["Retry-After"] = hRetryAfter
	w.WriteHeader(http.StatusServiceUnavailable)
	w.Write([]byte("Temporarily unavailable, please try again shortly.\n"))
}
