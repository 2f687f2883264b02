package mailer

import (
	"net"
	"sync"
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

// coalesceLimit bounds what a writeCoalescer holds before it writes anyway.
const coalesceLimit = 64 << 10

// writeCoalescer holds what the SMTP client writes until the client next reads. The client
// reads a reply after every command and after the message, so this changes no byte and no
// order on the wire; it only turns the several writes go-mail makes per message (its 4 KiB
// buffer flushes more than once for a typical campaign message, and once more for the closing
// dot) into one write per reply awaited: fewer system calls and TCP segments for the worker and
// for the relay. Bytes still held when the connection closes are discarded, never sent: a
// session is closed without a reply awaited only when it is being abandoned (or, over TLS, after
// QUIT was answered, when the TLS close alert it drops is of no use to the server).
type writeCoalescer struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
	err error // the first write error; every later write and read returns it
}

func (w *writeCoalescer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	if len(w.buf)+len(p) > coalesceLimit {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > coalesceLimit {
			n, err := w.Conn.Write(p)
			if err != nil {
				w.err = err
			}
			return n, err
		}
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Read writes what is held, then reads.
func (w *writeCoalescer) Read(p []byte) (int, error) {
	w.mu.Lock()
	err := w.flushLocked()
	w.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return w.Conn.Read(p)
}

func (w *writeCoalescer) flushLocked() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.Conn.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = err
	}
	return err
}

// Close discards what is held and closes the connection.
func (w *writeCoalescer) Close() error {
	err := w.Conn.Close() // first: it also unblocks a write stuck while holding mu
	w.mu.Lock()
	w.buf, w.err = nil, net.ErrClosed
	w.mu.Unlock()
	return err
}
