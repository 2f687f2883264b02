package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

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
	return []string{"inbound-addr", "inbound-max-bytes", "inbound-max-conns", "inbound-mailboxes"}
}

func inboundCommand() *command {
	return &command{
		name:     "inbound",
		summary:  "run the inbound SMTP listener for bounces, feedback-loop complaints and mailto unsubscribes",
		settings: with(inboundSettings(), listenerSettings()),
		required: []string{"database-url", "redis-url", "secret", "inbound-addr"},
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usagef("takes no arguments")
				}
				domain, err := inboundDomain(e.cfg)
				if err != nil {
					return err
				}
				p, err := e.inboundProcessor(ctx, true)
				if err != nil {
					return err
				}
				l, err := newInboundListener(e.cfg, domain, p, e)
				if err != nil {
					return err
				}
				return l.ListenAndServe(ctx, e.cfg.InboundAddr)
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

func newInboundListener(cfg Config, domain string, p *inbound.Processor, e *env) (*inbound.Listener, error) {
	var mailboxes []string
	for _, m := range strings.Split(cfg.InboundMailboxes, ",") {
		if m = strings.TrimSpace(m); m != "" {
			mailboxes = append(mailboxes, m)
		}
	}
	l, err := inbound.NewListener(inbound.ListenerConfig{
		Domain: domain, Mailboxes: mailboxes, MaxMessageBytes: int64(cfg.InboundMaxBytes),
		MaxConns: cfg.InboundMaxConns, Logger: e.logger,
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
	keys, err := token.ParseKeyring(strconv.Itoa(cfg.SecretID), cfg.Secret, cfg.OldSecrets)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return keys, nil
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
	l, err := newInboundListener(a.cfg, a.mailDomain(), p, &env{logger: a.logger})
	if err != nil {
		return err
	}
	return l.ListenAndServe(ctx, a.cfg.InboundAddr)
}

func inboundProcessCommand() *command {
	return &command{
		name:     "inbound process",
		args:     "FILE.eml…",
		summary:  "run saved bounces, complaints and unsubscribe mails through the inbound pipeline; print each verdict",
		settings: inboundSettings(),
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print the results as JSON")
			dryRun := fs.Bool("dry-run", false, "classify and match only; change nothing (needs no Redis; without a database or secret it matches less)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return usagef("give one or more message files (- for standard input)")
				}
				if !*dryRun {
					for _, req := range []struct {
						name    string
						missing bool
					}{{"database-url", e.cfg.DatabaseURL == ""}, {"redis-url", e.cfg.RedisURL == ""}, {"secret", e.cfg.Secret == ""}} {
						if st, _ := lookupSetting(req.name); req.missing {
							return usagef("missing required setting %s (or --%s); --dry-run needs none", st.env(), req.name)
						}
					}
				}
				p, err := e.inboundProcessor(ctx, !*dryRun)
				if err != nil {
					return err
				}
				return processFiles(ctx, e, p, args, *asJSON, *dryRun)
			}
		},
	}
}

// fileResult is one file's line in --json output.
type fileResult struct {
	File   string          `json:"file"`
	Result *inbound.Result `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

func processFiles(ctx context.Context, e *env, p *inbound.Processor, files []string, asJSON, dryRun bool) error {
	var results []fileResult
	failed := 0
	for _, name := range files {
		fr := fileResult{File: name}
		raw, err := readArgFile(e, name)
		if err == nil {
			var res inbound.Result
			envl := inbound.Envelope{Source: "file"}
			if dryRun {
				res, err = p.Classify(ctx, envl, raw)
			} else {
				res, err = p.Process(ctx, envl, raw)
			}
			fr.Result = &res
		}
		if err != nil {
			fr.Error, fr.Result = err.Error(), nil
			failed++
		}
		results = append(results, fr)
	}
	if asJSON {
		if err := printJSON(e.stdout, results); err != nil {
			return err
		}
	} else {
		printProcessTable(e, results)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files not processed", failed, len(files))
	}
	return nil
}

func printProcessTable(e *env, results []fileResult) {
	var rows [][]string
	for _, fr := range results {
		file := filepath.Base(fr.File)
		if fr.Result == nil {
			rows = append(rows, []string{file, "-", "error", "", "", "", "", fr.Error})
			continue
		}
		for _, o := range fr.Result.Outcomes {
			effect := o.Effect
			switch {
			case fr.Result.Quarantined != "":
				effect = strings.TrimSpace(effect + " (quarantined: " + fr.Result.Quarantined + ")")
			case fr.Result.Malformed != "":
				effect = strings.TrimSpace(effect + " (malformed)")
			}
			rows = append(rows, []string{file, dash(o.Recipient), string(o.Verdict), dash(o.Status), dash(o.Match),
				idOrDash(o.CampaignID), idOrDash(o.ContactID), dash(effect)})
		}
	}
	table(e.stdout, []string{"FILE", "RECIPIENT", "VERDICT", "STATUS", "MATCH", "CAMPAIGN", "CONTACT", "EFFECT"}, rows)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func idOrDash(id int64) string {
	if id == 0 {
		return "-"
	}
	return strconv.FormatInt(id, 10)
}
