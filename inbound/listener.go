package inbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kirje/kirje/internal/emailaddr"
)

// ListenerConfig configures a Listener.
type ListenerConfig struct {
	// Domain is the mail domain whose b+TOKEN@ and u+TOKEN@ addresses the listener accepts
	// (Kirje's mail-domain; its MX points here). Required.
	Domain string
	// Hostname is the name in the greeting (default Domain).
	Hostname string
	// Mailboxes are further whole addresses to accept, e.g. the feedback-loop address registered
	// with mailbox providers ("fbl@bounce.example") or abuse@. postmaster@Domain is always
	// accepted (RFC 5321 requires it).
	Mailboxes []string
	// MaxMessageBytes is the largest message accepted; larger ones get 552 (default 10 MiB).
	MaxMessageBytes int64
	// MaxConns is the most connections served at once; more get 421 (default 100).
	MaxConns int
	// MaxRecipients per message (default 50).
	MaxRecipients int
	// ReadTimeout and WriteTimeout bound each read and write (default 1 minute each);
	// SessionTimeout bounds a whole connection (default 10 minutes).
	ReadTimeout, WriteTimeout, SessionTimeout time.Duration
	// ProcessTimeout bounds the processing of one message (default 1 minute).
	ProcessTimeout time.Duration
	// TLS, when set, is offered with STARTTLS.
	TLS *tls.Config
	// Logger; default discards.
	Logger *slog.Logger
	// Metrics, when set, counts messages, outcomes and refused recipients.
	Metrics *Metrics
}

func (c *ListenerConfig) defaults() error {
	d, err := emailaddr.NormalizeDomain(c.Domain)
	if err != nil {
		return fmt.Errorf("%w: listener domain: %v", ErrInvalid, err)
	}
	c.Domain = d
	if c.Hostname == "" {
		c.Hostname = d
	}
	setDefault(&c.MaxMessageBytes, 10<<20)
	setDefault(&c.MaxConns, 100)
	setDefault(&c.MaxRecipients, 50)
	setDefault(&c.ReadTimeout, time.Minute)
	setDefault(&c.WriteTimeout, time.Minute)
	setDefault(&c.SessionTimeout, 10*time.Minute)
	setDefault(&c.ProcessTimeout, time.Minute)
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Listener is the inbound SMTP server. Start it with Serve or ListenAndServe.
type Listener struct {
	cfg       ListenerConfig
	p         *Processor
	log       *slog.Logger
	mailboxes map[string]bool

	// mu is held for reading while a message is processed; Serve takes it for writing after
	// closing the server, so it returns only once no message is being processed.
	mu     sync.RWMutex
	closed bool
}

// NewListener returns a Listener that hands accepted messages to p.
func NewListener(cfg ListenerConfig, p *Processor) (*Listener, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	l := &Listener{cfg: cfg, p: p, log: cfg.Logger, mailboxes: map[string]bool{"postmaster@" + cfg.Domain: true}}
	for _, m := range cfg.Mailboxes {
		n, err := emailaddr.Normalize(m)
		if err != nil {
			return nil, fmt.Errorf("%w: mailbox %q: %v", ErrInvalid, m, err)
		}
		l.mailboxes[n] = true
	}
	return l, nil
}

// ListenAndServe listens on addr (host:port) and serves until ctx ends.
func (l *Listener) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("inbound: listen: %w", err)
	}
	return l.Serve(ctx, ln)
}

// Serve accepts SMTP connections on ln until ctx ends. Then it stops accepting, gives open
// sessions a few seconds to finish, closes the rest, and returns once no message is being
// processed (a message in progress finishes or hits ProcessTimeout). It closes ln.
func (l *Listener) Serve(ctx context.Context, ln net.Listener) error {
	srv := l.server()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(newLimitListener(ln, l.cfg.MaxConns, l.cfg.SessionTimeout, l.log)) }()
	l.log.Info("inbound: listening", "addr", ln.Addr().String(), "domain", l.cfg.Domain)
	var err error
	select {
	case err = <-errc:
		_ = srv.Close()
	case <-ctx.Done():
		grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if srv.Shutdown(grace) != nil {
			_ = srv.Close()
		}
		cancel()
		<-errc
	}
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("inbound: serve: %w", err)
	}
	return nil
}

func (l *Listener) server() *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{l: l, remote: c.Conn().RemoteAddr().String()}, nil
	}))
	srv.Domain = l.cfg.Hostname
	srv.MaxMessageBytes = l.cfg.MaxMessageBytes
	srv.MaxRecipients = l.cfg.MaxRecipients
	srv.ReadTimeout = l.cfg.ReadTimeout
	srv.WriteTimeout = l.cfg.WriteTimeout
	srv.EnableSMTPUTF8 = true
	srv.TLSConfig = l.cfg.TLS
	srv.ErrorLog = slog.NewLogLogger(l.log.Handler(), slog.LevelWarn)
	return srv
}

// Replies the listener gives.
var (
	errNoSuchUser   = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	errRelayDenied  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}
	errTryLater     = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, please try again later"}
	errShuttingDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Shutting down, please try again later"}
)

// accepts answers RCPT TO: nil for an address the listener owns, else the reply.
func (l *Listener) accepts(addr string) error {
	a := strings.ToLower(strings.TrimSpace(addr))
	if a == "postmaster" {
		return nil
	}
	local, domain, ok := strings.Cut(a, "@")
	if !ok || domain != l.cfg.Domain {
		return errRelayDenied
	}
	if l.mailboxes[a] {
		return nil
	}
	if _, _, valid := l.p.tokenAddress(local + "@" + domain); valid {
		return nil
	}
	return errNoSuchUser
}
