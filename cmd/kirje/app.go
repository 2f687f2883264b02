package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/token"
)

// App is Kirje's running parts, built from a Config: what `serve`, `worker` and `run` start,
// and what end-to-end tests start on port 0.
type App struct {
	cfg      Config
	logger   *slog.Logger
	db       *pgxpool.Pool
	rdb      *redis.Client
	rdbOpts  *redis.Options // what rdb was made from, for clients of other libraries (asynqmon)
	supp     *suppression.List
	keys     *token.Keyring
	links    token.Links
	relays   map[string]*mailer.Pool
	registry *prometheus.Registry
	// queueDepth registers the queue depth collector once (registerQueueDepth).
	queueDepth sync.Once
}

// openApp connects to PostgreSQL and Redis and builds the shared parts. Relays are built only
// when the caller sends mail.
func openApp(ctx context.Context, cfg Config, logger *slog.Logger, withRelays bool) (a *App, err error) {
	a = &App{cfg: cfg, logger: logger, registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if a.db, err = pg.Open(ctx, cfg.DatabaseURL); err != nil {
		return a, err
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return a, fmt.Errorf("redis: %w", err)
	}
	a.rdb, a.rdbOpts = redis.NewClient(opts), opts
	if err := a.rdb.Ping(ctx).Err(); err != nil {
		return a, fmt.Errorf("redis: ping: %w", err)
	}
	if a.supp, err = suppression.New(a.db, suppression.Config{RedisOptions: opts, Prefix: cfg.Namespace, Logger: logger}); err != nil {
		return a, err
	}
	if a.keys, err = parseKeys(cfg); err != nil {
		return a, err
	}
	a.links = token.Links{Base: cfg.PublicURL, Keys: a.keys}
	if cfg.PublicURL.Scheme != "https" {
		logger.Warn("KIRJE_PUBLIC_URL is not https: messages carry no RFC 8058 one-click header (fine for local use only)")
	}
	if withRelays {
		if a.relays, err = relayPools(cfg, logger); err != nil {
			return a, err
		}
	}
	return a, nil
}

// Close releases everything openApp made.
func (a *App) Close() {
	for _, p := range a.relays {
		_ = p.Close()
	}
	if a.supp != nil {
		_ = a.supp.Close()
	}
	if a.rdb != nil {
		_ = a.rdb.Close()
	}
	if a.db != nil {
		a.db.Close()
	}
}

// relayPools builds the relay pools: "default" from KIRJE_SMTP_URL, others from
// KIRJE_SMTP_RELAYS ("name=url;name=url"), both parsed when the settings were read.
func relayPools(cfg Config, logger *slog.Logger) (map[string]*mailer.Pool, error) {
	if cfg.SMTPRelay == nil {
		return nil, usagef("missing required setting KIRJE_SMTP_URL (or --smtp-url)")
	}
	relays := map[string]*mailer.Pool{}
	for _, r := range append([]mailer.Relay{*cfg.SMTPRelay}, cfg.SMTPRelays...) {
		relays[r.Name] = mailer.NewPool(r, logger)
	}
	return relays, nil
}

// relayName is what a relay's name in KIRJE_SMTP_RELAYS may be.
var relayName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// parseRelayList reads KIRJE_SMTP_RELAYS: named relays, "NAME=URL;NAME=URL" ("" for none).
func parseRelayList(v string) ([]mailer.Relay, error) {
	var relays []mailer.Relay
	for i, item := range strings.Split(v, ";") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		// The item is not quoted in errors: its URL may hold a password.
		name, raw, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok || !relayName.MatchString(name) {
			return nil, fmt.Errorf("item %d is not NAME=URL (a name is letters, digits, '.', '_' or '-')", i+1)
		}
		raw = strings.TrimSpace(raw)
		r, err := mailer.ParseRelay(name, raw)
		if err != nil {
			if strings.Contains(v, "@") && !strings.Contains(raw, "@") {
				// A ';' in a password split its URL: the error would quote a piece of it.
				return nil, fmt.Errorf("relay %q: malformed URL (a ';' in a password must be percent-encoded as %%3B)", name)
			}
			return nil, err
		}
		relays = append(relays, r)
	}
	return relays, nil
}

// parseKeys builds the token keyring from KIRJE_SECRET, KIRJE_SECRET_ID and KIRJE_OLD_SECRETS.
// The first two are checked as settings already, so what the token package refuses is in the
// old secrets, and the error names that setting.
func parseKeys(cfg Config) (*token.Keyring, error) {
	if cfg.Secret == "" {
		return nil, usagef("missing required setting KIRJE_SECRET (or --secret)")
	}
	keys, err := token.ParseKeyring(strconv.Itoa(cfg.SecretID), cfg.Secret, cfg.OldSecrets)
	if err != nil {
		return nil, settingError("old-secrets", err)
	}
	return keys, nil
}

// mailDomain is the domain of mailto unsubscribe addresses and VERP return paths.
func (a *App) mailDomain() string {
	if a.cfg.MailDomain != "" {
		return a.cfg.MailDomain
	}
	return a.cfg.PublicURL.Hostname()
}

// serveMetricsPort serves h on addr (KIRJE_METRICS_ADDR) until ctx ends: the internal port of
// a process without the public HTTP server.
func serveMetricsPort(ctx context.Context, addr string, h http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return serveHTTP(ctx, ln, h, logger)
}

// Timeouts of Kirje's HTTP servers. The server's own ReadTimeout would arm a timer for every
// request, bodyless or not, to bound the reading of bodies: at tens of thousands of opens and
// clicks a second (no body at all) that is a measurable share of the work, so bodies get their
// deadline from withBodyDeadline instead, and only requests that have one pay for it.
const (
	requestBodyTimeout  = 5 * time.Minute // CSV imports stream large bodies
	requestWriteTimeout = 10 * time.Minute
)

// withBodyDeadline gives a request that has a body a read deadline: the body must arrive within
// read. A bodyless request gets none: net/http is already reading ahead on its connection to
// notice a client that hangs up, and a deadline there would cancel the request's context when
// it passed, cutting off long answers such as the event feed's stream.
func withBodyDeadline(h http.Handler, read time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(read))
		}
		h.ServeHTTP(w, r)
	})
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully. It times out slow request
// headers, slow bodies (withBodyDeadline), answers not written within requestWriteTimeout (give
// or take writeDeadlineSlack) and idle connections, the read timeouts up to readSweepInterval
// late (coarseConn); handlers may shorten these for themselves.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           withBodyDeadline(h, requestBodyTimeout),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      requestWriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(newCoarseListener(ln, srv.WriteTimeout)) }()
	logger.Info("http: listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("http: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}
