package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wneessen/go-mail"
)

// ErrPoolClosed: Acquire was called on a closed Pool.
var ErrPoolClosed = errors.New("mailer: pool closed")

// Pool is a bounded set of SMTP connections to one relay, dialled lazily and reused across
// messages and callers. Idle connections are closed after the relay's IdleTimeout. It is safe
// for concurrent use.
type Pool struct {
	relay Relay
	log   *slog.Logger
	now   func() time.Time

	slots chan struct{} // a token per connection that may exist (idle ones hold none)
	dials atomic.Int64

	mu     sync.Mutex
	idle   []*Conn // connected and unused, most recently used last
	closed bool

	done       chan struct{}
	reaperDone chan struct{}
}

// NewPool returns a pool for relay (zero fields take their defaults). It dials nothing yet.
// Close it when done.
func NewPool(relay Relay, logger *slog.Logger) *Pool {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	relay = relay.withDefaults()
	p := &Pool{
		relay: relay,
		log:   logger.With("relay", relay.Name),
		now:   time.Now,
		slots: make(chan struct{}, relay.PoolSize),
		done:  make(chan struct{}), reaperDone: make(chan struct{}),
	}
	go p.reap()
	return p
}

// Relay returns the pool's relay, defaults applied.
func (p *Pool) Relay() Relay { return p.relay }

// Acquire waits for a connection slot and returns a Conn for the caller's exclusive use until
// Release. The connection is dialled by its first Send, so Acquire fails only when ctx ends
// (with ctx's error) or the pool is closed (ErrPoolClosed).
func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("mailer: acquire: %w", ctx.Err())
	case <-p.done:
		return nil, ErrPoolClosed
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, ErrPoolClosed
	}
	c := &Conn{pool: p}
	if n := len(p.idle); n > 0 {
		c, p.idle = p.idle[n-1], p.idle[:n-1]
	}
	c.released = false
	p.mu.Unlock()
	return c, nil
}

// Send is Acquire, Conn.Send and Release in one.
func (p *Pool) Send(ctx context.Context, msg *mail.Msg) error {
	c, err := p.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return c.Send(ctx, msg)
}

// PoolStats is a snapshot of a pool.
type PoolStats struct {
	Idle  int   // connected, waiting for a caller
	InUse int   // acquired by callers
	Dials int64 // connections opened so far
}

// Stats reports the pool's current state.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PoolStats{Idle: len(p.idle), InUse: len(p.slots), Dials: p.dials.Load()}
}

// Close closes the idle connections now and the acquired ones as they are released; later
// Acquires fail with ErrPoolClosed.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	close(p.done)
	<-p.reaperDone
	for _, c := range idle {
		c.quit()
	}
	return nil
}

// release takes back a connection: to the idle list when it is healthy, closed otherwise.
func (p *Pool) release(c *Conn) {
	p.mu.Lock()
	keep := !p.closed && c.connected()
	if keep {
		c.lastUsed = p.now()
		p.idle = append(p.idle, c)
	}
	p.mu.Unlock()
	if !keep {
		c.quit()
	}
	<-p.slots
}

func (p *Pool) reap() {
	defer close(p.reaperDone)
	t := time.NewTicker(max(p.relay.IdleTimeout/2, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			p.closeIdle(p.now().Add(-p.relay.IdleTimeout))
		}
	}
}

// closeIdle closes the idle connections last used before the given time.
func (p *Pool) closeIdle(before time.Time) {
	p.mu.Lock()
	var stale []*Conn
	keep := p.idle[:0]
	for _, c := range p.idle {
		if c.lastUsed.Before(before) {
			stale = append(stale, c)
		} else {
			keep = append(keep, c)
		}
	}
	p.idle = keep
	p.mu.Unlock()
	for _, c := range stale {
		p.log.Debug("smtp connection idle, closing", "idle_since", c.lastUsed)
		c.quit()
	}
}
