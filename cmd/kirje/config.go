package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kirje/kirje/mailer"
)

// Config is every setting Kirje reads, typed. Each comes from a KIRJE_* environment variable,
// overridden by the matching command-line flag; settingsTable documents them all (the README's
// table is printed by `kirje help config`).
type Config struct {
	DatabaseURL    string
	RedisURL       string
	Namespace      string // prefix of Kirje's Redis keys and asynq queue names
	PublicURL      *url.URL
	HTTPAddr       string
	Secret         string
	SecretID       int
	OldSecrets     string
	SMTPRelay      *mailer.Relay  // KIRJE_SMTP_URL, parsed as the relay "default"; nil when not set
	SMTPRelays     []mailer.Relay // KIRJE_SMTP_RELAYS, parsed
	DomainRate     float64
	DomainBurst    int
	Concurrency    int
	BatchSize      int
	SendLease      time.Duration
	LogFormat      string
	LogLevel       string
	TrustProxy     bool
	TruncateIP     bool
	AdminUser      string
	MailDomain     string
	VERP           bool
	MetricsAddr    string
	ReconcileEvery time.Duration
	StaleAfter     time.Duration
	// IngestClaimIdle is how long an event-stream entry may stay delivered but unacknowledged
	// before another worker takes it over (the entries of a worker that died mid-ingest).
	IngestClaimIdle time.Duration

	WebhookAllowPrivate bool
	QuarantineRetention time.Duration
	TrackingRate        float64
	TrackingBurst       int
	// Inbound mail (package inbound).
	InboundAddr      string
	InboundMaxBytes  int
	InboundMaxConns  int
	InboundMailboxes string
	InboundTLSCert   string
	InboundTLSKey    string
	SoftBounceLimit  int
	SoftBounceWindow time.Duration
	// Retention (package privacy): 0 keeps for ever.
	RetentionIP     time.Duration
	RetentionEvents time.Duration
}

// setting is one row of the configuration table.
type setting struct {
	name  string // flag name; the environment variable is KIRJE_ + upper-case with _
	def   string
	usage string
	set   func(c *Config, v string) error
}

func (s setting) env() string {
	return "KIRJE_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

// settingsTable is the one place a setting is declared. It is a function, not a package
// variable, so nothing can change it at run time.
func settingsTable() []setting {
	return []setting{
		{"database-url", "", "PostgreSQL URL, e.g. postgres://kirje@127.0.0.1:5432/kirje", func(c *Config, v string) error {
			return parseURL(v, []string{"postgres", "postgresql"}, &c.DatabaseURL)
		}},
		{"redis-url", "", "Redis URL, e.g. redis://127.0.0.1:6379/0", func(c *Config, v string) error {
			return parseURL(v, []string{"redis", "rediss", "unix"}, &c.RedisURL)
		}},
		{"namespace", "kirje:", "prefix of Kirje's Redis keys and queue names (several installs may share one Redis)", func(c *Config, v string) error {
			if v == "" || strings.ContainsAny(v, " {}") {
				return errors.New("must be non-empty, without spaces or braces")
			}
			c.Namespace = v
			return nil
		}},
		{"public-url", "", "public base URL of the tracking endpoint, e.g. https://t.example.com", func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return errors.New("must be an absolute http(s) URL")
			}
			u.Path = strings.TrimSuffix(u.Path, "/")
			c.PublicURL = u
			return nil
		}},
		{"http-addr", ":8080", "address the HTTP server (API, tracking, /metrics) listens on", setString(func(c *Config) *string { return &c.HTTPAddr })},
		{"secret", "", "signing secret for tracking tokens, at least 32 characters", func(c *Config, v string) error {
			if len(v) < 32 {
				return errors.New("must be at least 32 characters")
			}
			c.Secret = v
			return nil
		}},
		{"secret-id", "1", "key ID (1-255) of --secret, written into new tokens", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 255 {
				return errors.New("must be an integer from 1 to 255")
			}
			c.SecretID = n
			return nil
		}},
		{"old-secrets", "", "retired secrets still accepted for old mail: ID:SECRET,ID:SECRET", setString(func(c *Config) *string { return &c.OldSecrets })},
		{"smtp-url", "", "default SMTP relay: smtp://user:pass@host:587?tls=starttls&pool=10&rate=50", func(c *Config, v string) error {
			r, err := mailer.ParseRelay("default", v)
			if err != nil {
				return err
			}
			c.SMTPRelay = &r
			return nil
		}},
		{"smtp-relays", "", "further named relays brands can choose: NAME=URL;NAME=URL", func(c *Config, v string) (err error) {
			c.SMTPRelays, err = parseRelayList(v)
			return err
		}},
		{"domain-rate", "20", "messages per second to one recipient domain, across all workers", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return errors.New("must be a non-negative number (0 = unlimited)")
			}
			c.DomainRate = f
			return nil
		}},
		{"domain-burst", "40", "messages one recipient domain may receive at once before the rate applies", setInt(1, func(c *Config) *int { return &c.DomainBurst })},
		{"concurrency", "20", "send batches a worker runs at once; SMTP connections are bounded by each relay's pool, so more batches than connections keep connections busy across batch boundaries", setInt(1, func(c *Config) *int { return &c.Concurrency })},
		{"batch-size", "100", "recipients per send batch task", setInt(1, func(c *Config) *int { return &c.BatchSize })},
		{"send-lease", "2m", "how long a claimed recipient stays claimed before another worker may retry it", setDuration(time.Second, func(c *Config) *time.Duration { return &c.SendLease })},
		{"reconcile-every", "30s", "how often the worker compares the queue with what the database says is still to do", setDuration(time.Second, func(c *Config) *time.Duration { return &c.ReconcileEvery })},
		{"stale-after", "2m", "how long a running campaign may go without progress before its batches are enqueued again", setDuration(time.Second, func(c *Config) *time.Duration { return &c.StaleAfter })},
		{"ingest-claim-idle", "30s", "how long opens and clicks a worker read from the event stream may stay unstored before another worker takes them over (a worker that died)", setDuration(time.Second, func(c *Config) *time.Duration { return &c.IngestClaimIdle })},
		{"tracking-rate", "20", "opens and clicks per second one client network may make (image proxies fetch for many people; 0 = no per-IP limits)", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return errors.New("must be a non-negative number")
			}
			c.TrackingRate = f
			return nil
		}},
		{"tracking-burst", "200", "opens and clicks one client network may make at once before tracking-rate applies", setInt(1, func(c *Config) *int { return &c.TrackingBurst })},
		{"webhook-allow-private", "false", "let webhook endpoints be on private, loopback or link-local addresses (an endpoint inside your own network)", setBool(func(c *Config) *bool { return &c.WebhookAllowPrivate })},
		{"quarantine-retention", "30d", "age after which quarantined inbound mail (it holds personal data) is deleted (0 = keep)", setRetention(func(c *Config) *time.Duration { return &c.QuarantineRetention })},
		{"log-format", "json", "log format: json or text", oneOf([]string{"json", "text"}, func(c *Config) *string { return &c.LogFormat })},
		{"log-level", "info", "log level: debug, info, warn or error", oneOf([]string{"debug", "info", "warn", "error"}, func(c *Config) *string { return &c.LogLevel })},
		{"trust-proxy", "false", "take the client IP from X-Forwarded-For (only behind your own proxy)", setBool(func(c *Config) *bool { return &c.TrustProxy })},
		{"truncate-ip", "false", "store IPv4 addresses as /24 and IPv6 as /48 in events", setBool(func(c *Config) *bool { return &c.TruncateIP })},
		{"mail-domain", "", "domain of mailto unsubscribe addresses and VERP return paths; its MX should reach Kirje's inbound listener (default: the public URL's host)", setString(func(c *Config) *string { return &c.MailDomain })},
		{"verp", "true", "send with a per-message return path b+TOKEN@mail-domain, so that bounces come back to Kirje's inbound listener matched to their send (false: bounces go to the brand's From address)", setBool(func(c *Config) *bool { return &c.VERP })},
		{"metrics-addr", "", "address a worker-only process serves /metrics, /healthz and /readyz on, and a standalone inbound listener /metrics (\"\" = none)", setString(func(c *Config) *string { return &c.MetricsAddr })},
		{"admin-user", "", "who the CLI acts as and records as actor: a Kirje user's name (commands need that user's role) or a cli:NAME label for the operator (default: cli:<OS user>)", setString(func(c *Config) *string { return &c.AdminUser })},
		{"inbound-addr", "", "address the inbound SMTP listener (bounces, complaints, mailto unsubscribes for mail-domain) listens on, e.g. :25 (\"\" = none in serve/run)", setString(func(c *Config) *string { return &c.InboundAddr })},
		{"inbound-max-bytes", "10485760", "largest inbound message accepted, in bytes (larger: 552)", setInt(1024, func(c *Config) *int { return &c.InboundMaxBytes })},
		{"inbound-max-conns", "100", "inbound SMTP connections served at once (more: 421)", setInt(1, func(c *Config) *int { return &c.InboundMaxConns })},
		{"inbound-tls-cert", "", "PEM certificate (chain) the inbound listener offers with STARTTLS, with inbound-tls-key (\"\" = no STARTTLS)", setString(func(c *Config) *string { return &c.InboundTLSCert })},
		{"inbound-tls-key", "", "PEM private key of inbound-tls-cert", setString(func(c *Config) *string { return &c.InboundTLSKey })},
		{"inbound-mailboxes", "", "further addresses the inbound listener accepts besides b+/u+ tokens and postmaster@mail-domain, e.g. the feedback-loop address: fbl@bounce.example.com,abuse@bounce.example.com", setString(func(c *Config) *string { return &c.InboundMailboxes })},
		{"soft-bounce-limit", "3", "soft bounces (mailbox full, 4.x.x) of an address within soft-bounce-window that suppress it", setInt(1, func(c *Config) *int { return &c.SoftBounceLimit })},
		{"soft-bounce-window", "720h", "window in which soft bounces are counted", setDuration(time.Hour, func(c *Config) *time.Duration { return &c.SoftBounceWindow })},
		{"retention-ip", "90d", "age after which events lose their IP address and user agent (\"90d\", \"2160h\"; 0 = keep)", setRetention(func(c *Config) *time.Duration { return &c.RetentionIP })},
		{"retention-events", "730d", "age after which events are deleted; send counts and engagement rollups stay (0 = keep)", setRetention(func(c *Config) *time.Duration { return &c.RetentionEvents })},
	}
}

func lookupSetting(name string) (setting, bool) {
	for _, s := range settingsTable() {
		if s.name == name {
			return s, true
		}
	}
	return setting{}, false
}

func parseURL(v string, schemes []string, dst *string) error {
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("not a URL")
	}
	for _, s := range schemes {
		if u.Scheme == s {
			*dst = v
			return nil
		}
	}
	return fmt.Errorf("scheme must be one of %s", strings.Join(schemes, ", "))
}

func setString(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

func setInt(minimum int, field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < minimum {
			return fmt.Errorf("must be an integer of at least %d", minimum)
		}
		*field(c) = n
		return nil
	}
}

func setDuration(minimum time.Duration, field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < minimum {
			return fmt.Errorf("must be a duration of at least %s", minimum)
		}
		*field(c) = d
		return nil
	}
}

func setBool(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		*field(c) = b
		return nil
	}
}

func oneOf(allowed []string, field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				*field(c) = v
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

// configFromEnv builds a Config from environment variables alone (defaults for the rest), for
// tests and tools that start Kirje's parts without a command line.
func configFromEnv(getenv func(string) string) (Config, error) {
	var c Config
	for _, s := range settingsTable() {
		v := getenv(s.env())
		if v == "" {
			v = s.def
		}
		if v == "" {
			continue
		}
		if err := s.set(&c, v); err != nil {
			return c, fmt.Errorf("%s: %w", s.env(), err)
		}
	}
	return c, nil
}
