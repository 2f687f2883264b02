package main

import (
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// writeDeadlineSlack is how much earlier than asked a connection's write deadline may fall, in
// exchange for re-arming it at most about once per this interval (see coarseConn).
const writeDeadlineSlack = time.Minute

// Read deadlines at least sweptReadDeadline away are not armed on the connection but kept by the
// listener's sweeper, which looks every readSweepInterval: they take effect up to that much late.
const (
	sweptReadDeadline = time.Second
	readSweepInterval = 250 * time.Millisecond
)

// coarseListener hands out connections whose deadlines cost a runtime timer update only when it
// matters (coarseConn), and sweeps their far read deadlines. Use it only under an http.Server
// whose WriteTimeout is writeTimeout: the server sets the deadline again before every answer.
// Close it (http.Server.Serve does) to stop the sweeper once the last connection is closed.
type coarseListener struct {
	net.Listener
	writeTimeout time.Duration

	mu     sync.Mutex
	conns  map[*coarseConn]struct{}
	closed bool

	swept chan struct{} // closed when the sweeper has stopped
}

func newCoarseListener(ln net.Listener, writeTimeout time.Duration) *coarseListener {
	l := &coarseListener{Listener: ln, writeTimeout: writeTimeout, conns: map[*coarseConn]struct{}{},
		swept: make(chan struct{})}
	go l.sweep()
	return l
}

// Accept wraps TCP connections in a coarseConn.
func (l *coarseListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	cc := &coarseConn{TCPConn: tc, l: l}
	l.mu.Lock()
	l.conns[cc] = struct{}{}
	l.mu.Unlock()
	return cc, nil
}

// Close closes the listener. Its connections' read deadlines are still swept until they close.
func (l *coarseListener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return l.Listener.Close()
}

// sweep expires the kept read deadlines that have passed, until the listener and its last
// connection are closed.
// The connections are expired outside the listener's lock, so Accept and Close never wait for a
// sweep.
func (l *coarseListener) sweep() {
	defer close(l.swept)
	tick := time.NewTicker(readSweepInterval)
	defer tick.Stop()
	var conns []*coarseConn
	for now := range tick.C {
		l.mu.Lock()
		if l.closed && len(l.conns) == 0 {
			l.mu.Unlock()
			return
		}
		conns = conns[:0]
		for c := range l.conns {
			conns = append(conns, c)
		}
		l.mu.Unlock()
		for _, c := range conns {
			c.expireRead(now)
		}
		clear(conns) // hold no closed connection until the next sweep
	}
}

func (l *coarseListener) forget(c *coarseConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// A coarseConn must keep what net/http looks for on a *net.TCPConn: sendfile (ReadFrom),
// half-close (CloseWrite) and the raw connection.
var _ interface {
	io.ReaderFrom
	CloseWrite() error
	syscall.Conn
} = (*coarseConn)(nil)

// coarseConn spares net/http's own deadlines the runtime timer they would each arm. net/http
// sets a connection's deadlines several times per request: a read deadline for the request's
// headers (ReadHeaderTimeout) and for the idle wait before the next one (IdleTimeout), and a
// write deadline before every answer (WriteTimeout), clearing each again. At tens of thousands
// of opens a second those timer updates are a measurable share of the work.
//
// Write deadlines: a keep-alive connection's deadline is armed about once a minute instead. A
// deadline that looks like the server's (the write timeout from now) is skipped while the one in
// force is less than writeDeadlineSlack earlier, and so is a clear. An answer that stops moving
// is still cut off, between WriteTimeout-writeDeadlineSlack and WriteTimeout after it began. A
// deadline kept through a clear is harmless: nothing is written between answers, and the next
// answer's deadline is set before it is written. Any other write deadline, such as a handler's
// own through http.ResponseController, takes effect exactly, except a clear: a handler that must
// write for longer than the write timeout sets a far-off deadline instead of none.
//
// Read deadlines: one at least sweptReadDeadline away is not armed but kept, and the listener's
// sweeper expires it once it has passed, up to readSweepInterval late: a slow client's headers,
// an idle connection and a stalled body are still cut off. Past deadlines and clears are set
// exactly, for net/http interrupts its own read-ahead with a past deadline; a clear when none is
// armed is skipped.
//
// After SetDeadline (net/http calls it only to hand a hijacked connection over) every deadline
// is set exactly.
type coarseConn struct {
	*net.TCPConn
	l *coarseListener

	mu        sync.Mutex
	armed     time.Time // the write deadline in force; zero for none
	readArmed time.Time // the read deadline in force on the connection; zero for none
	readDue   time.Time // the read deadline the sweeper keeps; zero for none
	exact     bool      // set every deadline as asked
}

// SetWriteDeadline sets t unless t is the server's and the deadline in force may stand for it.
func (c *coarseConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The clock is read only when the armed deadline could stand, to tell the server's from others.
	if !c.exact && keepWriteDeadline(c.armed, t, writeDeadlineSlack) &&
		(t.IsZero() || time.Until(t) >= c.l.writeTimeout-writeDeadlineSlack) {
		return nil
	}
	c.armed = t
	return c.TCPConn.SetWriteDeadline(t)
}

// SetReadDeadline hands a far deadline to the sweeper and sets any other.
func (c *coarseConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.exact && !t.IsZero() && time.Until(t) >= sweptReadDeadline {
		c.readDue = t
		t = time.Time{} // nothing armed: a past deadline left from an interrupted read must go
	} else {
		c.readDue = time.Time{}
	}
	if t.Equal(c.readArmed) {
		return nil
	}
	c.readArmed = t
	return c.TCPConn.SetReadDeadline(t)
}

// expireRead sets the kept read deadline if it has passed by now, which ends a pending Read.
func (c *coarseConn) expireRead(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readDue.IsZero() || now.Before(c.readDue) {
		return
	}
	c.readArmed, c.readDue = c.readDue, time.Time{}
	_ = c.TCPConn.SetReadDeadline(c.readArmed)
}

// SetDeadline sets both deadlines exactly, and every deadline from then on.
func (c *coarseConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed, c.readArmed, c.readDue, c.exact = t, t, time.Time{}, true
	return c.TCPConn.SetDeadline(t)
}

// Close closes the connection and stops sweeping it.
func (c *coarseConn) Close() error {
	c.l.forget(c)
	return c.TCPConn.Close()
}

// keepWriteDeadline reports whether the write deadline armed may stand when t is asked for: t
// clears it (zero), or t is no earlier than armed and less than slack later.
func keepWriteDeadline(armed, t time.Time, slack time.Duration) bool {
	if armed.IsZero() {
		return t.IsZero()
	}
	return t.IsZero() || (!t.Before(armed) && t.Sub(armed) < slack)
}
