package main

import (
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// writeDeadlineSlack is how much earlier than asked a connection's write deadline may fall, in
// exchange for re-arming it at most about once per this interval (see coarseWriteConn).
const writeDeadlineSlack = time.Minute

// coarseWriteListener hands out connections whose write deadline is re-armed only when it
// matters (coarseWriteConn). Use it only under an http.Server whose WriteTimeout is Timeout: the
// server sets the deadline again before every answer.
type coarseWriteListener struct {
	net.Listener
	Timeout time.Duration // the server's WriteTimeout
}

// Accept wraps TCP connections in a coarseWriteConn.
func (l coarseWriteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &coarseWriteConn{TCPConn: tc, timeout: l.Timeout}, nil
	}
	return c, nil
}

// A coarseWriteConn must keep what net/http looks for on a *net.TCPConn: sendfile (ReadFrom),
// half-close (CloseWrite) and the raw connection.
var _ interface {
	io.ReaderFrom
	CloseWrite() error
	syscall.Conn
} = (*coarseWriteConn)(nil)

// coarseWriteConn lets the server's own write deadlines stand where they can. net/http's
// WriteTimeout sets a deadline before every answer and clears it after: two runtime timer updates
// per request, a measurable share of an open's cost at tens of thousands a second. Here a
// keep-alive connection's deadline is armed about once a minute instead: a deadline that looks
// like the server's (the write timeout from now) is skipped while the one in force is less than
// writeDeadlineSlack earlier, and so is a clear. An answer that stops moving is still cut off,
// between WriteTimeout-writeDeadlineSlack and WriteTimeout after it began. A deadline kept
// through a clear is harmless: nothing is written between answers, and the next answer's
// deadline is set before it is written.
//
// Any other deadline, such as a handler's own through http.ResponseController, takes effect
// exactly, except a clear: a handler that must write for longer than the write timeout sets a
// far-off deadline instead of none. After SetDeadline (net/http calls it only to hand a
// hijacked connection over) every deadline is set exactly.
type coarseWriteConn struct {
	*net.TCPConn
	timeout time.Duration // the server's WriteTimeout

	mu    sync.Mutex
	armed time.Time // the write deadline in force; zero for none
	exact bool      // set every deadline as asked
}

// SetWriteDeadline sets t unless t is the server's and the deadline in force may stand for it.
func (c *coarseWriteConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The clock is read only when the armed deadline could stand, to tell the server's from others.
	if !c.exact && keepWriteDeadline(c.armed, t, writeDeadlineSlack) &&
		(t.IsZero() || time.Until(t) >= c.timeout-writeDeadlineSlack) {
		return nil
	}
	c.armed = t
	return c.TCPConn.SetWriteDeadline(t)
}

// SetDeadline sets both deadlines exactly, and every write deadline from then on.
func (c *coarseWriteConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed, c.exact = t, true
	return c.TCPConn.SetDeadline(t)
}

// keepWriteDeadline reports whether the write deadline armed may stand when t is asked for: t
// clears it (zero), or t is no earlier than armed and less than slack later.
func keepWriteDeadline(armed, t time.Time, slack time.Duration) bool {
	if armed.IsZero() {
		return t.IsZero()
	}
	return t.IsZero() || (!t.Before(armed) && t.Sub(armed) < slack)
}
