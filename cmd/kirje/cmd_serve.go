package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/kirje/kirje/api"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/token"
	"github.com/kirje/kirje/tracking"
	"github.com/kirje/kirje/worker"
)

func serverSettings() []string {
	return with([]string{"database-url", "redis-url", "namespace", "public-url", "http-addr",
		"secret", "secret-id", "old-secrets", "trust-proxy", "truncate-ip", "smtp-url", "smtp-relays",
		"mail-domain", "soft-bounce-limit", "soft-bounce-window", "tracking-rate", "tracking-burst",
		"webhook-allow-private"}, listenerSettings(), logSettings())
}

func workerSettings() []string {
	return with([]string{"database-url", "redis-url", "namespace", "public-url", "secret", "secret-id",
		"old-secrets", "smtp-url", "smtp-relays", "mail-domain", "verp", "domain-rate", "domain-burst",
		"concurrency", "batch-size", "send-lease", "metrics-addr", "reconcile-every", "stale-after", "ingest-claim-idle",
		"retention-ip", "retention-events", "webhook-allow-private", "quarantine-retention", "soft-bounce-window"}, logSettings())
}

var requiredRuntime = []string{"database-url", "redis-url", "public-url", "secret"}

func serveCommand() *command {
	return &command{
		name:     "serve",
		summary:  "serve the HTTP API, the tracking endpoint, /healthz, /readyz and /metrics",
		settings: serverSettings(),
		required: requiredRuntime,
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				tuneGC(serveGCPercent)
				app, err := openApp(ctx, e.cfg, e.logger, e.cfg.SMTPRelay != nil)
				if err != nil {
					return err
				}
				defer app.Close()
				g, ctx := errgroup.WithContext(ctx)
				g.Go(func() error { return app.serve(ctx) })
				g.Go(func() error { return app.serveInbound(ctx) }) // when KIRJE_INBOUND_ADDR is set
				return g.Wait()
			}
		},
	}
}

// The garbage collector's targets (GOGC) of `kirje serve` and `kirje worker`, and their soft
// memory limit, when the environment sets neither GOGC nor GOMEMLIMIT. Both live on small heaps
// and allocate mostly the garbage of one request or message: at Go's default GOGC of 100 they
// collected many times a second under load, and marking was a measurable share of an open's and
// a message's cost (BENCHMARKS.md). A higher GOGC lets the heap grow to several times the live
// heap between collections; the soft limit makes the collector work harder instead should that
// approach it. The worker's target is lower: its live heap grows with the batches in flight,
// and its peak RSS on a million-recipient campaign is a target of its own.
const (
	serveGCPercent  = 800
	workerGCPercent = 300
	gcMemoryLimit   = 256 << 20
)

// tuneGC sets the GC target percent and gcMemoryLimit unless the environment sets GOGC or
// GOMEMLIMIT, which leaves both to it (GOGC=100 alone is Go's default behaviour, with no limit).
func tuneGC(percent int) {
	_, gogc := os.LookupEnv("GOGC")
	_, limit := os.LookupEnv("GOMEMLIMIT")
	if gogc || limit {
		return
	}
	debug.SetGCPercent(percent)
	debug.SetMemoryLimit(gcMemoryLimit)
}

// serve runs the HTTP server on the configured address until ctx ends.
func (a *App) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	h, closeHandler, err := a.httpHandler()
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer closeHandler()
	return serveHTTP(ctx, ln, h, a.logger)
}

// httpHandler assembles the public HTTP surface: tracking at the public URL's path, the API under
// /api/v1, and the operations endpoints. The returned func flushes and stops the event recorder.
func (a *App) httpHandler() (http.Handler, func(), error) {
	rec := events.NewRecorder(a.rdbOpts, events.RecorderConfig{Prefix: a.cfg.Namespace, Logger: a.logger})
	var limits tracking.RateLimits
	if a.cfg.TrackingRate > 0 {
		limits = tracking.RateLimits{Limiter: newLimiter(a.rdb, a.cfg.Namespace),
			Hits: tracking.Rate{PerSecond: a.cfg.TrackingRate, Burst: a.cfg.TrackingBurst}}
	}
	trk, err := tracking.New(tracking.Config{
		Keys: a.keys, Recorder: rec, Links: trackingLinks{a.db},
		Optouts:    trackingOptouts{optout.New(a.db, a.supp)},
		Recipients: trackingRecipients{a.db},
		Logger:     a.logger, TrustProxy: a.cfg.TrustProxy, TruncateIP: a.cfg.TruncateIP,
		RateLimits: limits,
	})
	if err != nil {
		rec.Close()
		return nil, nil, err
	}
	optouts := optout.New(a.db, a.supp)
	var tester api.TestSender
	if len(a.relays) > 0 {
		tester = worker.NewTester(a.db, a.relays, a.links, a.mailDomain())
	}
	scheduler := worker.NewScheduler(a.db, a.rdb, a.cfg.Namespace)
	mux := http.NewServeMux()
	prefix := strings.TrimSuffix(a.cfg.PublicURL.Path, "/")
	var tracked http.Handler = trk
	if prefix != "" {
		tracked = http.StripPrefix(prefix, trk)
	}
	for _, p := range []string{token.OpenPath, token.ClickPath, token.UnsubscribePath} {
		mux.Handle(prefix+p, tracked)
	}
	mux.Handle("/api/", api.New(api.Config{
		DB: a.db, Suppression: a.supp, Optouts: optouts, Scheduler: scheduler, Tester: tester,
		Logger: a.logger, TrustProxy: a.cfg.TrustProxy, Routes: a.extraRoutes(),
	}))
	mux.Handle(queueUIPath+"/", queueUI(a.db, a.rdbOpts))
	a.opsRoutes(mux)
	return cleanPaths(trackingFirst(prefix, tracked, mux)), func() { rec.Close(); _ = scheduler.Close() }, nil
}

// trackingFirst hands opens and clicks, by far the most frequent requests, straight to the
// tracking handler, without the router's pattern matching; everything else goes through mux,
// where the same paths lead to the same handler.
func trackingFirst(prefix string, tracked, mux http.Handler) http.Handler {
	open, click := prefix+token.OpenPath, prefix+token.ClickPath
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, open) || strings.HasPrefix(p, click) {
			tracked.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// cleanPaths answers 404 to a path that is not in clean form ("//host/…", "/a/../b"), which
// ServeMux would otherwise redirect to its cleaned form: the public endpoint redirects nowhere
// but to a campaign's stored link.
func cleanPaths(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
			strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// opsRoutes adds /healthz (the process answers), /readyz (PostgreSQL and Redis answer) and
// /metrics, which carries the queue depths (kirje_queue_depth) wherever it is served.
func (a *App) opsRoutes(mux *http.ServeMux) {
	a.registerQueueDepth()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var g errgroup.Group
		status := map[string]string{"postgres": "ok", "redis": "ok"}
		var pgErr, redisErr error
		g.Go(func() error { pgErr = a.db.Ping(ctx); return nil })
		g.Go(func() error { redisErr = a.rdb.Ping(ctx).Err(); return nil })
		_ = g.Wait()
		code := http.StatusOK
		if pgErr != nil {
			status["postgres"], code = "unreachable", http.StatusServiceUnavailable
		}
		if redisErr != nil {
			status["redis"], code = "unreachable", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		fmt.Fprintf(w, "postgres: %s\nredis: %s\n", status["postgres"], status["redis"])
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
}

// registerQueueDepth adds the queue depth collector to the App's registry once, however many
// handlers with /metrics are built on the App (the public server's, the operations port's).
func (a *App) registerQueueDepth() {
	a.queueDepth.Do(func() {
		a.registry.MustRegister(worker.NewQueueCollector(a.rdb, a.cfg.Namespace))
	})
}

func workerCommand() *command {
	return &command{
		name:     "worker",
		summary:  "run the send worker: campaign starts, batches, reconciliation, event ingestion",
		settings: workerSettings(),
		required: append(requiredRuntime, "smtp-url"),
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				tuneGC(workerGCPercent)
				app, err := openApp(ctx, e.cfg, e.logger, true)
				if err != nil {
					return err
				}
				defer app.Close()
				g, ctx := errgroup.WithContext(ctx)
				g.Go(func() error { return app.work(ctx) })
				if e.cfg.MetricsAddr != "" {
					g.Go(func() error { return app.serveOps(ctx) })
				}
				return g.Wait()
			}
		},
	}
}

// serveOps serves only the operations endpoints on KIRJE_METRICS_ADDR, for a worker-only process.
func (a *App) serveOps(ctx context.Context) error {
	return serveMetricsPort(ctx, a.cfg.MetricsAddr, a.opsHandler(), a.logger)
}

// opsHandler is the operations port of a worker-only process: the operations endpoints and, as
// the port is internal, the Go profiler.
func (a *App) opsHandler() http.Handler {
	mux := http.NewServeMux()
	a.opsRoutes(mux)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// work runs the worker, the suppression mirror's upkeep and the event ingester until ctx ends.
func (a *App) work(ctx context.Context) error {
	tasks, periodic := a.backgroundTasks()
	w, err := worker.New(worker.Config{
		Namespace: a.cfg.Namespace, Concurrency: a.cfg.Concurrency, BatchSize: a.cfg.BatchSize,
		Lease: a.cfg.SendLease, DomainRate: a.cfg.DomainRate, DomainBurst: a.cfg.DomainBurst,
		MailDomain: a.mailDomain(), VERP: a.cfg.VERP,
		ReconcileEvery: a.cfg.ReconcileEvery, StaleAfter: a.cfg.StaleAfter,
	}, worker.Deps{
		DB: a.db, Redis: a.rdb, Suppression: a.supp,
		Limiter: newLimiter(a.rdb, a.cfg.Namespace), Relays: a.relays, Links: a.links,
		Logger: a.logger, Metrics: worker.NewMetrics(a.registry),
		Tasks: tasks, Periodic: periodic,
	})
	if err != nil {
		return err
	}
	defer w.Close()
	ingester := events.NewIngester(a.rdb, a.db, events.IngesterConfig{
		Prefix: a.cfg.Namespace, Logger: a.logger, ClaimIdle: a.cfg.IngestClaimIdle})
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.supp.Run(ctx) })
	g.Go(func() error { return ingester.Run(ctx) })
	g.Go(func() error { return w.Run(ctx) })
	return g.Wait()
}

func runCommand() *command {
	return &command{
		name:     "run",
		summary:  "migrate, then serve and work in one process (small installs, local use)",
		settings: with(serverSettings(), workerSettings()),
		required: append(requiredRuntime, "smtp-url"),
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				app, err := openApp(ctx, e.cfg, e.logger, true)
				if err != nil {
					return err
				}
				defer app.Close()
				if _, err := pgMigrate(ctx, app); err != nil {
					return err
				}
				g, ctx := errgroup.WithContext(ctx)
				g.Go(func() error { return app.serve(ctx) })
				g.Go(func() error { return app.serveInbound(ctx) })
				g.Go(func() error { return app.work(ctx) })
				return g.Wait()
			}
		},
	}
}
