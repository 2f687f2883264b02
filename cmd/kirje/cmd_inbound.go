package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"flag"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/kirje/kirje/inbound"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/token"
)

// inboundSettings are what the inbound pipeline reads; listenerSettings what its SMTP server does.
func inboundSettings() []string {
	return with([]string{"database-url", "redis-url", "namespace", "public-url", "secret", "secret-id",
		"old-secrets", "mail-domain", "soft-bounce-limit", "soft-bounce-window"}, logSettings())
}

func listenerSettings() []string {
	return []string{"inbound-addr", "inbound-max-bytes", "inbound-max-conns", "inbound-mailboxes",
		"inbound-tls-cert", "inbound-tls-key"}
}

func inboundCommand() *command {
	return &command{
		name:     "inbound",
		summary:  "run the inbound SMTP listener for bounces, feedback-loop complaints and mailto unsubscribes",
		settings: with(inboundSettings(), listenerSettings(), []string{"metrics-addr"}),
		required: []string{"database-url", "redis-url", "secret", "inbound-addr"},
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				domain, err := inboundDomain(e.cfg)
				if err != nil {
					return err
				}
				p, err := e.inboundProcessor(ctx, true)
				if err != nil {
					return err
				}
				reg := prometheus.NewRegistry()
				l, err := newInboundListener(e.cfg, domain, p, e, inbound.NewMetrics(reg))
				if err != nil {
					return err
				}
				g, ctx := errgroup.WithContext(ctx)
				g.Go(func() error { return l.ListenAndServe(ctx, e.cfg.InboundAddr) })
				if e.cfg.MetricsAddr != "" {
					mux := http.NewServeMux()
					mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
					g.Go(func() error { return serveMetricsPort(ctx, e.cfg.MetricsAddr, mux, e.logger) })
				}
				return g.Wait()
			}
		},
	}
}

// inboundDomain is the mail domain the listener serves: --mail-domain, else the public URL's host.
func inboundDomain(cfg Config) (string, error) {
	switch {
	case cfg.MailDomain != "":
		return cfg.MailDomain, nil
	case cfg.PublicURL != nil:
		return cfg.PublicURL.Hostname(), nil
	}
	return "", usagef("set KIRJE_MAIL_DOMAIN (or --mail-domain), or KIRJE_PUBLIC_URL")
}

func newInboundListener(cfg Config, domain string, p *inbound.Processor, e *env, m *inbound.Metrics) (*inbound.Listener, error) {
	var mailboxes []string
	for _, m := range strings.Split(cfg.InboundMailboxes, ",") {
		if m = strings.TrimSpace(m); m != "" {
			mailboxes = append(mailboxes, m)
		}
	}
	var tlsConfig *tls.Config
	switch {
	case cfg.InboundTLSCert != "" && cfg.InboundTLSKey != "":
		cert, err := tls.LoadX509KeyPair(cfg.InboundTLSCert, cfg.InboundTLSKey)
		if err != nil {
			return nil, usagef("inbound-tls-cert/inbound-tls-key: %v", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case cfg.InboundTLSCert != "" || cfg.InboundTLSKey != "":
		return nil, usagef("inbound-tls-cert and inbound-tls-key go together")
	}
	l, err := inbound.NewListener(inbound.ListenerConfig{
		Domain: domain, Mailboxes: mailboxes, MaxMessageBytes: int64(cfg.InboundMaxBytes),
		MaxConns: cfg.InboundMaxConns, TLS: tlsConfig, Logger: e.logger, Metrics: m,
	}, p)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return l, nil
}

// inboundProcessor builds the pipeline. With apply it opens everything it writes to; without
// (a dry run) it uses the database only when one is configured, and without a secret it
// verifies no token (a throwaway key).
func (e *env) inboundProcessor(ctx context.Context, apply bool) (*inbound.Processor, error) {
	keys, err := inboundKeys(e.cfg)
	if err != nil {
		return nil, err
	}
	cfg := inbound.Config{
		Keys: keys, SoftBounceLimit: e.cfg.SoftBounceLimit, SoftBounceWindow: e.cfg.SoftBounceWindow,
		Logger: e.logger,
	}
	var deps inbound.Deps
	if apply || e.cfg.DatabaseURL != "" {
		if deps.DB, err = e.db(ctx); err != nil {
			return nil, err
		}
	}
	if apply {
		if deps.Suppression, err = e.openList(ctx); err != nil {
			return nil, err
		}
		deps.Optout = optout.New(deps.DB, deps.Suppression)
	}
	return inbound.NewProcessor(cfg, deps)
}

func inboundKeys(cfg Config) (*token.Keyring, error) {
	if cfg.Secret == "" {
		b := make([]byte, token.MinSecretLen)
		_, _ = rand.Read(b)
		return token.ParseKeyring("1", hex.EncodeToString(b), "")
	}
	return parseKeys(cfg)
}

// serveInbound runs the inbound listener on KIRJE_INBOUND_ADDR until ctx ends, sharing the
// App's database, suppression list and keys; it returns at once when the address is not set.
// serve and run start it next to the HTTP server.
func (a *App) serveInbound(ctx context.Context) error {
	if a.cfg.InboundAddr == "" {
		return nil
	}
	p, err := inbound.NewProcessor(inbound.Config{
		Keys: a.keys, SoftBounceLimit: a.cfg.SoftBounceLimit, SoftBounceWindow: a.cfg.SoftBounceWindow,
		Logger: a.logger,
	}, inbound.Deps{DB: a.db, Suppression: a.supp, Optout: optout.New(a.db, a.supp)})
	if err != nil {
		return err
	}
	l, err := newInboundListener(a.cfg, a.mailDomain(), p, &env{logger: a.logger}, inbound.NewMetrics(a.registry))
	if err != nil {
		return err
	}
	return l.ListenAndServe(ctx, a.cfg.InboundAddr)
}
