package main

import (
	"net"
	"sync"
	"time"
)

// writeDeadlineSlack is how much earlier than asked a connection's write deadline may fall, in
// exchange for re-arming it at most about once per this interval (see coarseWriteConn).
const writeDeadlineSlack = time.Minute

// coarseWriteListener hands out connections whose write deadline is re-armed only when it
// matters (coarseWriteConn). Use it only under an http.Server with a WriteTimeout, which sets
// the deadline again before every answer.
type coarseWriteListener struct{ net.Listener }

// Accept wraps TCP connections in a coarseWriteConn.
func (l coarseWriteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &coarseWriteConn{TCPConn: tc}, nil
	}
	return c, nil
}

// coarseWriteConn keeps the write deadline in force when a new one would move it later by less
// than writeDeadlineSlack, and when it is cleared. net/http's WriteTimeout sets a deadline before
// every answer and clears it after: two runtime timer updates per request, a measurable share of
// an open's cost at tens of thousands a second. Here a keep-alive connection's deadline is armed
// about once a minute instead, and an answer that stops moving is still cut off, between
// WriteTimeout-writeDeadlineSlack and WriteTimeout after it began. A deadline kept through a
// clear is harmless: nothing is written between answers, and the next answer's deadline (from
// the server's WriteTimeout) is set before it is written. An earlier deadline always takes
// effect at once.
type coarseWriteConn struct {
	*net.TCPConn
	mu    sync.Mutex
	armed time.Time // the write deadline in force; zero for none
}

// SetWriteDeadline sets t unless the deadline in force may stand for it.
func (c *coarseWriteConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if keepWriteDeadline(c.armed, t, writeDeadlineSlack) {
		return nil
	}
	c.armed = t
	return c.TCPConn.SetWriteDeadline(t)
}

// SetDeadline sets both deadlines, exactly.
func (c *coarseWriteConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = t
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
