package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/privacy"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// Scheduler puts campaign work on the queue after the API committed the change (worker.Scheduler
// implements it). An error is logged, not returned to the caller: the change stands, and the
// worker's reconciler finds the campaign from the database.
type Scheduler interface {
	// Scheduled enqueues the start of a campaign that was just scheduled.
	Scheduled(ctx context.Context, c campaign.Campaign) error
	// Resumed enqueues the work of a campaign that was just resumed.
	Resumed(ctx context.Context, c campaign.Campaign) error
}

// TestSender sends a campaign's test message to staff addresses, not recorded as campaign sends
// (worker.Tester implements it). The API checks that the campaign exists and that to holds 1 to
// MaxTestRecipients valid addresses before calling it.
type TestSender interface {
	SendTest(ctx context.Context, campaignID int64, to []string) error
}

// MaxTestRecipients bounds the addresses of one test send.
const MaxTestRecipients = 20

// Default body limits.
const (
	DefaultMaxBodyBytes   = 1 << 20 // JSON requests
	DefaultMaxUploadBytes = 1 << 30 // CSV imports, which are streamed
)

// Config wires the API. DB, Suppression, Optouts and Scheduler are required.
type Config struct {
	DB          *pgxpool.Pool
	Suppression *suppression.List
	Optouts     *optout.Service
	Scheduler   Scheduler
	Tester      TestSender       // nil: test sends answer 503
	Logger      *slog.Logger     // nil discards
	Now         func() time.Time // nil: time.Now
	// MaxBodyBytes bounds a JSON request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxUploadBytes bounds a CSV import body; 0 means DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// TrustProxy takes the client address recorded in the audit from X-Forwarded-For (its last
	// entry, the one the single trusted reverse proxy appended) instead of the peer address.
	TrustProxy bool
	// Routes are other packages' routes (reports, the event feed, webhooks…), mounted in the
	// route table like the API's own: behind the bearer token, the route's permission, the body
	// limit and, when it names an action, the audit log.
	Routes []Route
}

// Route is a route another package serves under /api/v1. Its handler writes its own answers
// (errors as {"error": "…"}); it gets a request whose caller is authenticated and allowed, and
// can name them with Actor.
type Route struct {
	Pattern string            // ServeMux pattern with method: "GET /api/v1/campaigns/{id}/report"
	Perm    access.Permission // required
	// Audit is the access.Action* recorded when the route succeeds: required for anything that
	// changes state or exports personal data, "" for plain reads.
	Audit   string
	Upload  bool // the body may be up to MaxUploadBytes instead of MaxBodyBytes
	Handler http.Handler
}

// Actor returns the name of the user making r, a request served through the route table (""
// outside it): the actor other packages' handlers record on their changes.
func Actor(r *http.Request) string { return actor(r) }

// API is the http.Handler New returns.
type API struct {
	db          *pgxpool.Pool
	users       *access.Store
	register    *register.Store
	importer    *register.Importer
	campaigns   *campaign.Store
	suppression *suppression.List
	optouts     *optout.Service
	privacy     *privacy.Service
	scheduler   Scheduler
	tester      TestSender
	logger      *slog.Logger
	now         func() time.Time
	maxBody     int64
	maxUpload   int64
	trustProxy  bool
	mux         *http.ServeMux
	routes      []route
}

// New returns the API's handler, serving /api/v1/… (mount it at the root). It panics when a
// required Config field is nil: that is a wiring mistake, found at start-up.
func New(cfg Config) http.Handler {
	if cfg.DB == nil || cfg.Suppression == nil || cfg.Optouts == nil || cfg.Scheduler == nil {
		panic("api: Config needs DB, Suppression, Optouts and Scheduler")
	}
	a := &API{
		db: cfg.DB, register: register.New(cfg.DB), campaigns: campaign.New(cfg.DB),
		suppression: cfg.Suppression, optouts: cfg.Optouts, scheduler: cfg.Scheduler,
		tester: cfg.Tester, logger: cfg.Logger, now: cfg.Now,
		maxBody: cfg.MaxBodyBytes, maxUpload: cfg.MaxUploadBytes, trustProxy: cfg.TrustProxy,
		mux: http.NewServeMux(),
	}
	if a.logger == nil {
		a.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.maxUpload <= 0 {
		a.maxUpload = DefaultMaxUploadBytes
	}
	a.users = access.New(cfg.DB).WithClock(a.now)
	a.privacy = privacy.New(privacy.Config{DB: cfg.DB, Suppression: cfg.Suppression, Optouts: cfg.Optouts,
		Logger: a.logger, Now: a.now})
	a.importer = register.NewImporter(cfg.DB, a.logger)
	a.routes = append(a.table(), a.extra(cfg.Routes)...)
	for _, rt := range a.routes {
		a.mount(rt)
	}
	return a
}

// setSecurityHeaders marks every answer: nothing is cached (answers hold personal data and
// secrets), sniffed, framed or allowed to load anything, and no Referer leaves.
func setSecurityHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// extra turns other packages' routes into rows of the route table.
func (a *API) extra(rs []Route) []route {
	out := make([]route, 0, len(rs))
	for _, r := range rs {
		h := r.Handler
		b := bodyJSON
		if r.Upload {
			b = bodyUpload
		}
		rt := route{pattern: r.Pattern, perm: r.Perm, audit: r.Audit, body: b}
		if h != nil { // mount refuses a route without a handler
			rt.handle = func(w http.ResponseWriter, r *http.Request) error { h.ServeHTTP(w, r); return nil }
		}
		out = append(out, rt)
	}
	return out
}

// ServeHTTP serves a request through the route table; a path or method no route has gets a JSON
// 404 or 405 like every other error.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if h, pattern := a.mux.Handler(r); pattern == "" {
		a.noRoute(w, r, h)
		return
	}
	a.mux.ServeHTTP(w, r)
}
