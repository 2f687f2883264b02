package tracking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/token"
)

// ErrNotFound is what LinkResolver, RecipientResolver and Optouts return (wrapped) when the link,
// campaign or contact a valid token names does not exist (any more). The handler answers 404;
// any other error is treated as temporary and answered 503.
var ErrNotFound = errors.New("tracking: not found")

// ErrNothingToUndo is what Optouts.Undo returns (wrapped) when there is no unsubscribe of the
// request's scope to reverse (none was made, or it was undone already). The page says so, 200.
var ErrNothingToUndo = errors.New("tracking: nothing to undo")

// Recorder makes an open or click event durable. Record returns nil only once the event will
// reach the events table (events.Recorder does this with a Redis stream); the handler does not
// acknowledge an event whose Record failed. Record must return in bounded time by itself: the
// handler gives opens and clicks no timeout of its own (events.Recorder bounds each write).
type Recorder interface {
	Record(ctx context.Context, ev events.Event) error
}

// LinkResolver returns the target URL stored for a campaign's link and whether it is a honeypot,
// or ErrNotFound. Links must not change once a message naming them was sent: the handler caches
// them for the life of the process.
type LinkResolver interface {
	Link(ctx context.Context, campaignID int64, linkID int) (url string, honeypot bool, err error)
}

// Opt-out scopes.
const (
	ScopeAll   = "all"   // all marketing email (the register's direct-marketing ban); the default
	ScopeBrand = "brand" // only the campaign's brand
)

// Opt-out sources: which door the request came through.
const (
	SourceOneClick = "one-click" // RFC 8058 POST from a mailbox provider
	SourcePage     = "page"      // the unsubscribe page's form
)

// OptoutRequest is one unsubscribe or undo, as the handler saw it. IP is truncated when
// Config.TruncateIP is set, as for events.
type OptoutRequest struct {
	CampaignID, ContactID int64
	Scope                 string // ScopeAll or ScopeBrand
	Source                string // SourceOneClick or SourcePage
	IP, UserAgent         string
}

// Optouts commits opt-outs. Unsubscribe and Undo return nil only once the change is committed
// (the suppression entry or its removal, with its event; an Undo that reverses an unsubscribe is
// recorded as consent; one with no unsubscribe to reverse changes nothing and returns
// ErrNothingToUndo), so that no later send-time check misses it; ErrNotFound if the contact or
// campaign is unknown.
type Optouts interface {
	Unsubscribe(ctx context.Context, r OptoutRequest) error
	Undo(ctx context.Context, r OptoutRequest) error
}

// Recipient is what the unsubscribe page shows: the address (masked before display) and brand.
// BrandID 0 means the campaign has no brand to opt out of separately.
type Recipient struct {
	Email     string
	BrandID   int64
	BrandName string
}

// RecipientResolver looks up the contact and brand an unsubscribe token names, or ErrNotFound.
type RecipientResolver interface {
	Recipient(ctx context.Context, campaignID, contactID int64) (Recipient, error)
}

// Config wires a Handler. Keys, Recorder, Links, Optouts and Recipients are required.
type Config struct {
	Keys       *token.Keyring
	Recorder   Recorder
	Links      LinkResolver
	Optouts    Optouts
	Recipients RecipientResolver
	Logger     *slog.Logger     // nil discards
	Now        func() time.Time // nil means time.Now
	// TrustProxy takes the client address from X-Forwarded-For (its last entry, the one the
	// single trusted reverse proxy appended) instead of the connection's peer address.
	TrustProxy bool
	// TruncateIP stores client addresses as their IPv4 /24 or IPv6 /48 network. Machine
	// classification sees the full address first.
	TruncateIP bool
	// Machine tunes machine-traffic classification; the zero value uses the defaults.
	Machine MachineRules
	// LinkCacheSize bounds the cached (campaign, link) targets; 0 means 65536.
	LinkCacheSize int
	// RecentClicks bounds the per-recipient click histories kept for burst detection;
	// 0 means 65536.
	RecentClicks int
	// DefaultLang is the page language when Accept-Language names neither "fi" nor "en";
	// "" means "fi".
	DefaultLang string
	// RateLimits bound what one client can make the endpoint do; the zero value (no Limiter)
	// sets none.
	RateLimits RateLimits
	// RequestTimeout bounds the work of one request (lookups, an opt-out's commit) and the
	// reading of its body, whatever the server's own timeouts; 0 means DefaultRequestTimeout. A
	// request that runs out is answered 503 like any failure. Recording an open or click is
	// bounded by the Recorder, not by this.
	RequestTimeout time.Duration
}

// DefaultRequestTimeout is Config.RequestTimeout's default.
const DefaultRequestTimeout = 15 * time.Second

// Handler serves the tracking endpoint: GET|HEAD /o/{token} (open pixel), GET|HEAD /c/{token}
// (click redirect), GET|HEAD /u/{token} (unsubscribe page) and POST /u/{token} (RFC 8058
// one-click or the page's form). Mount it at the root of the tracking host; a path prefix in the
// public base URL must be stripped first (http.StripPrefix).
type Handler struct {
	keys       *token.Keyring
	recorder   Recorder
	optouts    Optouts
	recipients RecipientResolver
	logger     *slog.Logger
	now        func() time.Time
	trustProxy bool
	truncateIP bool
	rules      MachineRules
	links      *linkCache
	recent     *recentClicks
	pages      *pages
	limits     RateLimits
	timeout    time.Duration
	mux        *http.ServeMux
}

// New checks cfg and builds a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Keys == nil || cfg.Recorder == nil || cfg.Links == nil || cfg.Optouts == nil || cfg.Recipients == nil {
		return nil, errors.New("tracking: Keys, Recorder, Links, Optouts and Recipients are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pg, err := newPages(cfg.DefaultLang)
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	rules := cfg.Machine.withDefaults()
	h := &Handler{
		keys: cfg.Keys, recorder: cfg.Recorder, optouts: cfg.Optouts, recipients: cfg.Recipients,
		logger: cfg.Logger, now: cfg.Now, trustProxy: cfg.TrustProxy, truncateIP: cfg.TruncateIP,
		rules:  rules,
		recent: newRecentClicks(cfg.RecentClicks, rules),
		pages:  pg,
		limits: cfg.RateLimits.withDefaults(),
		mux:    http.NewServeMux(),
	}
	if h.timeout = cfg.RequestTimeout; h.timeout <= 0 {
		h.timeout = DefaultRequestTimeout
	}
	h.links = newLinkCache(cfg.Links, cfg.LinkCacheSize, h.timeout)
	for _, rt := range tokenRoutes {
		h.mux.HandleFunc("GET "+rt.prefix+"{token}", func(w http.ResponseWriter, r *http.Request) {
			rt.serve(h, w, r, r.PathValue("token"))
		})
	}
	h.mux.HandleFunc("GET "+token.UnsubscribePath+"{token}", h.serveUnsubscribePage)
	h.mux.HandleFunc("POST "+token.UnsubscribePath+"{token}", h.serveUnsubscribePost)
	return h, nil
}

// Shared header values; net/http only reads them. Their capacity equals their length, so an
// Add by a wrapping middleware copies instead of writing into them.
var (
	hNoSniff    = []string{"nosniff"}
	hNoReferrer = []string{"no-referrer"}
)

// securityHeaders marks an answer a browser might render or follow: no MIME sniffing, and no
// Referer to wherever it leads (a click's target must not learn the token).
func securityHeaders(w http.ResponseWriter) {
	hdr := w.Header()
	hdr["X-Content-Type-Options"] = hNoSniff
	hdr["Referrer-Policy"] = hNoReferrer
}

// ServeHTTP answers 404 to any path that is not already clean, instead of ServeMux's redirect to
// the cleaned path: the only redirects this handler ever sends are to stored link targets.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "" || p[0] != '/' || path.Clean(p) != p {
		securityHeaders(w)
		http.NotFound(w, r)
		return
	}
	// Opens and clicks without a body are answered from memory and the event stream, whose wait
	// the recorder bounds itself; at tens of thousands a second, a timer and two deadlines per
	// request are a measurable share of the work, so they get none (a click's first lookup of a
	// link has its own timeout). Everything else does real work or reads a body: the server may
	// allow slow bodies for the API's imports, but a tracking request gets only its own timeout
	// to send its (small) body and to be answered. Writers without deadlines (tests) just report
	// it unsupported.
	if r.ContentLength == 0 && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// tokenRoutes, matched by hand as the router would.
		for _, rt := range tokenRoutes {
			if tok, ok := strings.CutPrefix(p, rt.prefix); ok {
				if !oneSegment(tok) {
					securityHeaders(w)
					http.NotFound(w, r)
					return
				}
				rt.serve(h, w, r, tok)
				return
			}
		}
	}
	securityHeaders(w)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(h.timeout))
	_ = rc.SetWriteDeadline(time.Now().Add(2 * h.timeout))
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	h.mux.ServeHTTP(w, r.WithContext(ctx))
}

// tokenRoutes are the opens and clicks: GET (and HEAD) of a path prefix and a token. New
// registers them with the router; ServeHTTP matches bodyless requests for them itself.
var tokenRoutes = [...]struct {
	prefix string
	serve  func(h *Handler, w http.ResponseWriter, r *http.Request, tok string) // sets its own headers
}{
	{token.OpenPath, (*Handler).serveOpen},
	{token.ClickPath, (*Handler).serveClick},
}

// oneSegment reports whether s would match a {wildcard} of a ServeMux pattern: one non-empty
// path segment.
func oneSegment(s string) bool { return s != "" && !strings.Contains(s, "/") }
