package mailer

import (
	"net"
	"sync/atomic"
	"time"
)

// abortConn is a net.Conn whose deadline can be forced into the past for good: go-mail resets
// deadlines before each command, and an aborted session must stay aborted.
type abortConn struct {
	net.Conn
	aborted atomic.Bool
}

var longAgo = time.Unix(1, 0)

func (a *abortConn) abort() {
	a.aborted.Store(true)
	_ = a.Conn.SetDeadline(longAgo)
}

func (a *abortConn) SetDeadline(t time.Time) error {
	if a.aborted.Load() {
		t = longAgo
	}
	return a.Conn.SetDeadline(t)
}

// connectError marks a failure to open a session: dial, greeting, EHLO, STARTTLS or AUTH.
type connectError struct{ err error }

func (e *connectError) Error() string { return "mailer: connect: " + e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }
