// Package smtptest runs a real SMTP server (emersion/go-smtp) in the test process: a sink that
// records or counts what it accepts and answers with the replies a test scripts, so the mailer and
// worker are tested against the protocol rather than a mock of it.
package smtptest

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From       string
	To         []string
	Data       []byte    // raw message as received (nil when the sink discards bodies)
	StartedAt  time.Time // when MAIL FROM arrived: the message's SMTP transaction began
	AcceptedAt time.Time // when the final 250 to DATA was about to be sent
}

// Header returns the first value of the named header in the raw message, unfolded.
func (m Message) Header(name string) string {
	head, _, _ := strings.Cut(strings.ReplaceAll(string(m.Data), "\r\n", "\n"), "\n\n")
	lines := strings.Split(head, "\n")
	prefix := strings.ToLower(name) + ":"
	for i, l := range lines {
		if !strings.HasPrefix(strings.ToLower(l), prefix) {
			continue
		}
		v := strings.TrimSpace(l[len(prefix):])
		for j := i + 1; j < len(lines) && (strings.HasPrefix(lines[j], " ") || strings.HasPrefix(lines[j], "\t")); j++ {
			v += " " + strings.TrimSpace(lines[j])
		}
		return v
	}
	return ""
}

// Options change how the sink answers.
type Options struct {
	// Rcpt, when set, decides each RCPT TO: a non-nil error (use *smtp.SMTPError for a coded
	// reply) rejects the recipient.
	Rcpt func(to string) error
	// Discard keeps only counts and envelopes, not bodies.
	Discard bool
	// CountOnly keeps nothing of the messages but counts and the span of their times (Span), so
	// that a benchmark's sink does the same small work for every message however many it takes.
	// The first message is the exception: it is kept whole (First), so that a benchmark can
	// compare against a baseline sending that very message.
	CountOnly bool
	// MaxMessageBytes limits the size of a message (default 10 MiB).
	MaxMessageBytes int64
}

// Sink is a running SMTP server.
type Sink struct {
	Addr string // host:port it listens on

	opts     Options
	srv      *smtp.Server
	accepted atomic.Int64
	conns    atomic.Int64

	mu          sync.Mutex
	messages    []Message
	waiters     []waiter
	first, last time.Time // span since ResetSpan: earliest start, latest acceptance
	kept        *Message  // CountOnly: the first message accepted
	keeping     atomic.Bool
}

// waiter is a WaitContext call: ch is closed once n messages were accepted. Waking a waiter only
// at its count (not at every message) keeps a waiting benchmark from costing the sink a
// goroutine wake-up per message.
type waiter struct {
	n  int64
	ch chan struct{}
}

// Start runs a sink on a free loopback port until the test ends.
func Start(t testing.TB, opts Options) *Sink {
	t.Helper()
	s, err := Listen("127.0.0.1:0", opts)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Listen runs a sink on addr until Close; for benchmarks and tools that have no testing.TB.
func Listen(addr string, opts Options) (*Sink, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Sink{Addr: l.Addr().String(), opts: opts}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.conns.Add(1)
		return &session{sink: s}, nil
	}))
	s.srv.Domain = "sink.test"
	s.srv.AllowInsecureAuth = true
	s.srv.MaxRecipients = 100
	s.srv.MaxMessageBytes = opts.MaxMessageBytes
	if s.srv.MaxMessageBytes == 0 {
		s.srv.MaxMessageBytes = 10 << 20
	}
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// Close stops the server and drops its connections.
func (s *Sink) Close() error { return s.srv.Close() }

// Accepted is the number of messages accepted so far.
func (s *Sink) Accepted() int64 { return s.accepted.Load() }

// Connections is the number of SMTP sessions opened so far.
func (s *Sink) Connections() int64 { return s.conns.Load() }

// Messages returns a copy of what was accepted, in order of acceptance.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// To returns the accepted messages with rcpt among their recipients.
func (s *Sink) To(rcpt string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Wait blocks until at least n messages were accepted, or fails the test after timeout.
func (s *Sink) Wait(t testing.TB, n int64, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.WaitContext(ctx, n); err != nil {
		t.Fatalf("smtptest: waited for %d messages, have %d: %v", n, s.Accepted(), err)
	}
}

// WaitContext blocks until at least n messages were accepted or ctx ends.
func (s *Sink) WaitContext(ctx context.Context, n int64) error {
	s.mu.Lock()
	if s.accepted.Load() >= n {
		s.mu.Unlock()
		return nil
	}
	w := waiter{n: n, ch: make(chan struct{})}
	s.waiters = append(s.waiters, w)
	s.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Span returns the earliest start and the latest acceptance of the messages accepted since the
// last ResetSpan (zero times when none).
func (s *Sink) Span() (first, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, s.last
}

// First returns the first message a CountOnly sink accepted, whole, and whether there is one.
func (s *Sink) First() (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kept == nil {
		return Message{}, false
	}
	return *s.kept, true
}

// ResetSpan starts a new Span.
func (s *Sink) ResetSpan() {
	s.mu.Lock()
	s.first, s.last = time.Time{}, time.Time{}
	s.mu.Unlock()
}

func (s *Sink) accept(m Message) {
	s.mu.Lock()
	if s.first.IsZero() || m.StartedAt.Before(s.first) {
		s.first = m.StartedAt
	}
	if m.AcceptedAt.After(s.last) {
		s.last = m.AcceptedAt
	}
	switch {
	case !s.opts.CountOnly:
		s.messages = append(s.messages, m)
	case m.Data != nil && s.kept == nil:
		s.kept = &m
	}
	n := s.accepted.Add(1)
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if n >= w.n {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	s.waiters = kept
	s.mu.Unlock()
}

type session struct {
	sink    *Sink
	from    string
	to      []string
	started time.Time
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from, s.to, s.started = from, nil, time.Now()
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if f := s.sink.opts.Rcpt; f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	m := Message{From: s.from, To: s.to, StartedAt: s.started}
	keep := s.sink.opts.CountOnly && !s.sink.keeping.Load() && s.sink.keeping.CompareAndSwap(false, true)
	if (s.sink.opts.Discard || s.sink.opts.CountOnly) && !keep {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
	} else {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		m.Data = b
	}
	if len(s.to) == 0 {
		if keep {
			s.sink.keeping.Store(false) // keep the next message instead
		}
		return errors.New("no recipients")
	}
	m.AcceptedAt = time.Now()
	s.sink.accept(m)
	return nil
}
