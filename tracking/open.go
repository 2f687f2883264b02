package tracking

import (
	"context"
	"net/http"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/token"
)

// pixel is a 43-byte transparent 1×1 GIF.
var pixel = [...]byte{
	'G', 'I', 'F', '8', '9', 'a', 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, // header, 2-colour table
	0xff, 0xff, 0xff, 0x00, 0x00, 0x00, // colour 0 white (transparent), colour 1 black
	0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, // graphic control: colour 0 is transparent
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // image descriptor
	0x02, 0x02, 0x44, 0x01, 0x00, // LZW image data
	0x3b, // trailer
}

// Pixel response headers, shared read-only (see hNoSniff). The pixel carries only what a mail
// client or image proxy acts on: Cache-Control keeps every HTTP/1.1 cache from answering a later
// open itself (HTTP/1.0's Pragma and Expires add nothing since RFC 9111), and an image needs
// neither nosniff nor a referrer policy. At tens of thousands of opens a second, each header is
// a measurable share of the work.
var (
	hGIF          = []string{"image/gif"}
	hGIFLength    = []string{"43"}
	hNoStoreImage = []string{"no-store, no-cache, must-revalidate, private"}
)

// serveOpen records an open and answers with the pixel. The answer waits until the event is
// durable: a 200 is an acknowledgement. Over the client's rate limit it records nothing and
// answers 429 with the same pixel. If recording fails it answers 503 with the same pixel,
// so the reader's mail client shows nothing amiss while the status says "not recorded" (image
// proxies do not cache it and may fetch again).
func (h *Handler) serveOpen(w http.ResponseWriter, r *http.Request, tok string) {
	c, err := h.keys.Verify(tok, token.Open)
	if err != nil {
		h.logger.Debug("tracking: invalid token", "kind", "open")
		securityHeaders(w)
		http.NotFound(w, r)
		return
	}
	status := http.StatusOK
	if ok, retry := h.allowHit(r); !ok {
		status = http.StatusTooManyRequests // not recorded; the reader still sees nothing amiss
		w.Header()["Retry-After"] = []string{retry}
	} else if err := h.record(r, h.hitEvent(r, events.Open, c, Hit{})); err != nil {
		h.logger.Error("tracking: open not recorded", "campaign_id", c.CampaignID, "contact_id", c.ContactID, "err", err)
		status = http.StatusServiceUnavailable
	}
	hdr := w.Header()
	hdr["Content-Type"] = hGIF
	hdr["Content-Length"] = hGIFLength
	hdr["Cache-Control"] = hNoStoreImage
	w.WriteHeader(status)
	w.Write(pixel[:])
}

// record makes ev durable. The request's cancellation (a client that hung up) is not passed on:
// the event is written with its group either way, and the recorder bounds the wait by itself,
// while a context that can end costs the wait a channel and a select on every open and click.
func (h *Handler) record(r *http.Request, ev events.Event) error {
	return h.recorder.Record(context.WithoutCancel(r.Context()), ev)
}

// hitEvent classifies a hit (hit carries what the caller knows beyond the request: honeypot and
// recent-click history) and returns its event.
func (h *Handler) hitEvent(r *http.Request, typ events.Type, c token.Claims, hit Hit) events.Event {
	ip := clientIP(r, h.trustProxy)
	ua := r.Header.Get("User-Agent")
	hit.Type, hit.Method, hit.UserAgent, hit.IP, hit.SentAt = typ, r.Method, ua, ip, c.SentAt
	if hit.At.IsZero() {
		hit.At = h.now()
	}
	v := h.rules.Classify(hit)
	return events.Event{
		Type: typ, OccurredAt: hit.At, CampaignID: c.CampaignID, ContactID: c.ContactID, LinkID: c.LinkID,
		IP: storedIP(ip, h.truncateIP), UserAgent: storedUA(ua), Machine: v.Machine, Signals: v.Signals,
	}
}
