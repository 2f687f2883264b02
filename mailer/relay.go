package mailer

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid: a relay URL, a DKIM key or a message's input is malformed (wrapped with detail).
var ErrInvalid = errors.New("invalid")

// TLSMode says how a connection to the relay is encrypted.
type TLSMode string

// TLS modes.
const (
	TLSNone     TLSMode = "none"     // plain text; credentials are refused unless the relay is on localhost
	TLSStartTLS TLSMode = "starttls" // STARTTLS required: fail rather than send in plain text
	TLSImplicit TLSMode = "tls"      // TLS from the first byte (smtps://, usually port 465)
)

// Defaults for a Relay's zero fields.
const (
	DefaultPoolSize    = 10
	DefaultTimeout     = 30 * time.Second
	DefaultIdleTimeout = 30 * time.Second
)

// Relay is an SMTP server Kirje sends through. Its String, GoString and LogValue never show
// the password.
type Relay struct {
	Name        string
	Host        string
	Port        int
	Username    string
	Password    string
	TLS         TLSMode
	PoolSize    int           // connections at most (default 10)
	Rate        float64       // messages per second for the caller's throttle; 0 = unlimited
	Timeout     time.Duration // for dialling and for each SMTP command (default 30s)
	IdleTimeout time.Duration // an unused connection is closed after this (default 30s)
	// TLSConfig overrides the TLS settings (e.g. a private CA). Nil: system roots, ServerName
	// Host. Not settable from the URL.
	TLSConfig *tls.Config
}

// ParseRelay reads a relay URL:
//
//	smtp://[user:pass@]host[:port]?tls=none|starttls|tls&pool=N&rate=R&timeout=30s&idle=30s
//	smtps://…  (implicit TLS)
//
// The port defaults to 25 (smtp) or 465 (smtps); tls defaults to none for a loopback host and
// starttls otherwise (tls for smtps). It returns an error wrapping ErrInvalid that names the
// bad part and never contains the password.
func ParseRelay(name, rawURL string) (Relay, error) {
	bad := func(format string, args ...any) (Relay, error) {
		return Relay{}, fmt.Errorf("mailer: relay %q: %w: %s", name, ErrInvalid, fmt.Sprintf(format, args...))
	}
	// With user info in the URL, error messages quote no part of it: a password holding an
	// unencoded '/', '?' or '#' ends up in what the parser complains about, or in the path.
	withUser := strings.Contains(rawURL, "@")
	u, err := url.Parse(rawURL)
	if err != nil {
		if withUser {
			// The parser's message may quote part of the user info (a password with a "/"
			// makes it "an invalid port"), so it is left out.
			return bad("malformed URL (a user name or password must be percent-encoded)")
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the URL
		}
		return bad("malformed URL: %v", err)
	}
	r := Relay{Name: name, Host: u.Hostname(), PoolSize: DefaultPoolSize, Timeout: DefaultTimeout, IdleTimeout: DefaultIdleTimeout}
	switch u.Scheme {
	case "smtp":
		r.Port, r.TLS = 25, TLSStartTLS
		if isLoopback(r.Host) {
			r.TLS = TLSNone
		}
	case "smtps":
		r.Port, r.TLS = 465, TLSImplicit
	default:
		return bad("scheme %q: want smtp or smtps", u.Scheme)
	}
	if r.Host == "" {
		return bad("no host")
	}
	if u.Path != "" && u.Path != "/" {
		if withUser {
			return bad("unexpected path (a user name or password must be percent-encoded)")
		}
		return bad("unexpected path %q", u.Path)
	}
	if p := u.Port(); p != "" {
		if r.Port, err = strconv.Atoi(p); err != nil || r.Port < 1 || r.Port > 65535 {
			return bad("port %q: want 1-65535", p)
		}
	}
	if u.User != nil {
		r.Username = u.User.Username()
		r.Password, _ = u.User.Password()
	}
	if err := r.parseQuery(u.Query(), u.Scheme); err != nil {
		if strings.Contains(u.RawQuery, "@") {
			return bad("malformed query (a user name or password must be percent-encoded)")
		}
		return bad("%v", err)
	}
	return r, nil
}

func (r *Relay) parseQuery(q url.Values, scheme string) error {
	for key, vals := range q {
		v := vals[len(vals)-1]
		var err error
		switch key {
		case "tls":
			r.TLS = TLSMode(v)
			if r.TLS != TLSNone && r.TLS != TLSStartTLS && r.TLS != TLSImplicit {
				return fmt.Errorf("tls=%q: want none, starttls or tls", v)
			}
			if scheme == "smtps" && r.TLS != TLSImplicit {
				return fmt.Errorf("tls=%q contradicts smtps://", v)
			}
		case "pool":
			if r.PoolSize, err = strconv.Atoi(v); err != nil || r.PoolSize < 1 || r.PoolSize > 1000 {
				return fmt.Errorf("pool=%q: want 1-1000 connections", v)
			}
		case "rate":
			if r.Rate, err = strconv.ParseFloat(v, 64); err != nil || r.Rate < 0 {
				return fmt.Errorf("rate=%q: want messages per second, 0 for unlimited", v)
			}
		case "timeout", "idle":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%s=%q: want a positive duration such as 30s", key, v)
			}
			if key == "timeout" {
				r.Timeout = d
			} else {
				r.IdleTimeout = d
			}
		default:
			return fmt.Errorf("unknown parameter %q (known: tls, pool, rate, timeout, idle)", key)
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r Relay) withDefaults() Relay {
	if r.PoolSize <= 0 {
		r.PoolSize = DefaultPoolSize
	}
	if r.Timeout <= 0 {
		r.Timeout = DefaultTimeout
	}
	if r.IdleTimeout <= 0 {
		r.IdleTimeout = DefaultIdleTimeout
	}
	if r.Port == 0 {
		r.Port = 25
		if r.TLS == TLSImplicit {
			r.Port = 465
		}
	}
	if r.TLS == "" {
		r.TLS = TLSStartTLS
	}
	return r
}

// String is the relay's URL with the password left out.
func (r Relay) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(r.Host, strconv.Itoa(r.Port))}
	if r.TLS == TLSImplicit {
		u.Scheme = "smtps"
	}
	if r.Username != "" {
		u.User = url.User(r.Username)
	}
	q := url.Values{}
	q.Set("tls", string(r.TLS))
	q.Set("pool", strconv.Itoa(r.PoolSize))
	q.Set("rate", strconv.FormatFloat(r.Rate, 'g', -1, 64))
	q.Set("timeout", r.Timeout.String())
	q.Set("idle", r.IdleTimeout.String())
	u.RawQuery = q.Encode()
	return r.Name + " " + u.String()
}

// GoString keeps %#v from printing the password.
func (r Relay) GoString() string { return "mailer.Relay(" + r.String() + ")" }

// LogValue logs the relay without its password.
func (r Relay) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", r.Name), slog.String("host", r.Host), slog.Int("port", r.Port),
		slog.String("tls", string(r.TLS)), slog.Int("pool", r.PoolSize))
}
