package tracking

import (
	"context"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/kirje/kirje/internal/ratelimit"
)

// Limiter takes tokens from buckets shared by every process (*ratelimit.Limiter implements it).
type Limiter interface {
	Allow(ctx context.Context, b ratelimit.Bucket, n int) (granted int, retryAfter time.Duration, err error)
}

// Rate is a token bucket: PerSecond tokens a second, at most Burst at once.
type Rate struct {
	PerSecond float64
	Burst     int
}

// RateLimits bound what one client can make the endpoint do. Requests over a limit get 429 with
// Retry-After and change nothing. Only requests whose token verified are counted: a forged token
// is answered 404 at the cost of an HMAC, without a Redis round trip.
//
// A limiter that fails (Redis down, or slower than Timeout) lets the request through and logs a
// warning: the limits protect capacity, and an unsubscribe must never be refused because the
// limiter is unwell. (Opens and clicks need Redis anyway, to be recorded.)
type RateLimits struct {
	// Limiter decides; nil means no limits.
	Limiter Limiter
	// Hits bounds opens and clicks per client network (an IPv4 address, an IPv6 /64). Mailbox
	// providers' image proxies (Gmail, Apple Mail Privacy Protection) fetch many recipients'
	// pixels from few addresses, so this is generous. Default 20/s, burst 200.
	Hits Rate
	// Pages bounds views of the unsubscribe page per client network. Default 2/s, burst 30.
	Pages Rate
	// Optouts bounds unsubscribe POSTs per person (the token's contact), not per network: a
	// mailbox provider sends every recipient's RFC 8058 one-click POST from its own few
	// addresses, and each person's first requests must always get through. Default one a
	// minute, burst 10.
	Optouts Rate
	// Timeout bounds one limiter decision; default 100ms.
	Timeout time.Duration
}

func (l RateLimits) withDefaults() RateLimits {
	if l.Hits == (Rate{}) {
		l.Hits = Rate{PerSecond: 20, Burst: 200}
	}
	if l.Pages == (Rate{}) {
		l.Pages = Rate{PerSecond: 2, Burst: 30}
	}
	if l.Optouts == (Rate{}) {
		l.Optouts = Rate{PerSecond: 1.0 / 60, Burst: 10}
	}
	if l.Timeout <= 0 {
		l.Timeout = 100 * time.Millisecond
	}
	return l
}

// clientNet names a client's network for per-IP buckets: the IPv4 address, or the IPv6 /64 a
// single host usually has to itself.
func clientNet(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "unknown"
	case ip.Is6():
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// allow takes a token from the bucket named by key (rate r). When the request is over the limit
// it returns false and the seconds to put in Retry-After. Without a limiter it lets everything
// through and never calls key: an open would otherwise format its client's network for nothing.
func (h *Handler) allow(ctx context.Context, r Rate, key func() string) (bool, string) {
	if h.limits.Limiter == nil {
		return true, ""
	}
	ctx, cancel := context.WithTimeout(ctx, h.limits.Timeout)
	defer cancel()
	granted, retry, err := h.limits.Limiter.Allow(ctx, ratelimit.Bucket{Key: key(), Rate: r.PerSecond, Burst: r.Burst}, 1)
	if err != nil {
		h.logger.Warn("tracking: rate limiter failed; letting the request through", "err", err)
		return true, ""
	}
	if granted == 1 {
		return true, ""
	}
	return false, strconv.Itoa(max(1, int(math.Ceil(retry.Seconds()))))
}

func (h *Handler) allowHit(r *http.Request) (bool, string) {
	return h.allow(r.Context(), h.limits.Hits, func() string { return "trk:hit:" + clientNet(clientIP(r, h.trustProxy)) })
}

func (h *Handler) allowPage(r *http.Request) (bool, string) {
	return h.allow(r.Context(), h.limits.Pages, func() string { return "trk:page:" + clientNet(clientIP(r, h.trustProxy)) })
}

func (h *Handler) allowOptout(r *http.Request, contactID int64) (bool, string) {
	return h.allow(r.Context(), h.limits.Optouts, func() string { return "trk:optout:" + strconv.FormatInt(contactID, 10) })
}

// tooMany answers 429 with a short plain text.
func tooMany(w http.ResponseWriter, retryAfter string) {
	hdr := w.Header()
	hdr["Content-Type"] = hTextPlain
	hdr["Cache-Control"] = hNoStore
	hdr["Retry-After"] = []string{retryAfter}
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte("Too many requests, please try again shortly.\n"))
}
