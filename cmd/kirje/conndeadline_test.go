package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeepWriteDeadline(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	const slack = time.Minute
	tests := []struct {
		name     string
		armed, t time.Time
		keep     bool
	}{
		{"none armed, none asked", time.Time{}, time.Time{}, true},
		{"none armed, one asked", time.Time{}, now, false},
		{"a clear keeps the deadline for the next answer to move", now, time.Time{}, true},
		{"a little later stays", now, now.Add(slack - time.Nanosecond), true},
		{"the same stays", now, now, true},
		{"a slack later is armed", now, now.Add(slack), false},
		{"earlier is armed at once", now, now.Add(-time.Second), false},
		{"long past is replaced", now.Add(-time.Hour), now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.keep, keepWriteDeadline(tt.armed, tt.t, slack))
		})
	}
}

// An answer that stops moving is still cut off by the deadline kept through a clear.
func TestCoarseConnCutsOffAStalledWrite(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String()) // never reads
	require.NoError(t, err)
	defer client.Close()
	cl := newCoarseListener(ln, 10*time.Minute)
	defer cl.Close()
	c, err := cl.Accept()
	require.NoError(t, err)
	defer c.Close()
	require.IsType(t, &coarseConn{}, c)

	require.NoError(t, c.SetWriteDeadline(time.Now().Add(200*time.Millisecond)))
	require.NoError(t, c.SetWriteDeadline(time.Time{})) // net/http after an answer: kept
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 1<<20)
		for {
			if _, err := c.Write(buf); err != nil {
				done <- err
				return
			}
		}
	}()
	select {
	case err := <-done:
		assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "want a deadline error, got %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("a write to a client that never reads was not cut off")
	}
}

// Which write deadlines a coarseConn sets and which it lets the armed one stand for.
func TestCoarseConnKeepsOnlyTheServersWriteDeadlines(t *testing.T) {
	t.Parallel()
	const timeout = 10 * time.Minute
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	cl := newCoarseListener(ln, timeout)
	defer cl.Close()
	nc, err := cl.Accept()
	require.NoError(t, err)
	defer nc.Close()
	c := nc.(*coarseConn)

	now := time.Now()
	steps := []struct {
		name     string
		set      func(time.Time) error
		t, armed time.Time // asked; in force afterwards
	}{
		{"the server's first is set", c.SetWriteDeadline, now.Add(timeout), now.Add(timeout)},
		{"the server's next, seconds later, stands on the first", c.SetWriteDeadline, now.Add(timeout + 30*time.Second), now.Add(timeout)},
		{"the server's clear after an answer is skipped", c.SetWriteDeadline, time.Time{}, now.Add(timeout)},
		{"a handler's earlier one is set", c.SetWriteDeadline, now.Add(30 * time.Second), now.Add(30 * time.Second)},
		{"a handler's small extension is set exactly", c.SetWriteDeadline, now.Add(40 * time.Second), now.Add(40 * time.Second)},
		{"the server's next answer re-arms", c.SetWriteDeadline, now.Add(timeout), now.Add(timeout)},
		{"a hijack's clear is set", c.SetDeadline, time.Time{}, time.Time{}},
		{"after it, the server's deadline is set", c.SetWriteDeadline, now.Add(timeout), now.Add(timeout)},
		{"after it, a clear is set too", c.SetWriteDeadline, time.Time{}, time.Time{}},
	}
	for _, s := range steps {
		require.NoError(t, s.set(s.t), s.name)
		assert.Equal(t, s.armed, c.armed, s.name)
	}
}

// Through a real server: a handler's own, earlier deadline cuts off an answer the client does
// not read, although the server's deadline is kept coarsely.
func TestHandlerWriteDeadlineCutsOffAStalledAnswer(t *testing.T) {
	t.Parallel()
	writeErr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		buf := make([]byte, 1<<20)
		for {
			if _, err := w.Write(buf); err != nil {
				writeErr <- err
				return
			}
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveHTTP(ctx, ln, h, slog.New(slog.DiscardHandler)) }()
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() {
		client.Close()
		cancel()
		assert.NoError(t, <-done)
	})
	_, err = client.Write([]byte("GET /stream HTTP/1.1\r\nHost: kirje\r\n\r\n")) // and never read
	require.NoError(t, err)
	select {
	case err := <-writeErr:
		assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "want a deadline error, got %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the handler's write deadline did not cut off the stalled answer")
	}
}

// readState returns the read deadline armed on the connection and the one kept for the sweeper.
func (c *coarseConn) readState() (armed, kept time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readArmed, c.readDue
}

// acceptPair returns both ends of a connection accepted through a coarseListener.
func acceptPair(t *testing.T) (server *coarseConn, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cl := newCoarseListener(ln, 10*time.Minute)
	t.Cleanup(func() { cl.Close() })
	client, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	nc, err := cl.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return nc.(*coarseConn), client
}

// readEnds reads from c in the background and reports how and when the read ended.
func readEnds(c net.Conn) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	return done
}

// Which read deadlines a coarseConn arms, and which it leaves to the sweeper.
func TestCoarseConnKeepsFarReadDeadlinesForTheSweeper(t *testing.T) {
	t.Parallel()
	c, _ := acceptPair(t)
	now := time.Now()
	past := time.Unix(1, 0)
	steps := []struct {
		name        string
		set         func(time.Time) error
		t           time.Time
		armed, kept time.Time // in force on the connection; kept for the sweeper
	}{
		{"a clear with none armed is skipped", c.SetReadDeadline, time.Time{}, time.Time{}, time.Time{}},
		{"the server's header deadline is kept, not armed", c.SetReadDeadline, now.Add(5 * time.Second), time.Time{}, now.Add(5 * time.Second)},
		{"its clear once the headers are read drops it", c.SetReadDeadline, time.Time{}, time.Time{}, time.Time{}},
		{"interrupting the read-ahead is set exactly", c.SetReadDeadline, past, past, time.Time{}},
		{"the clear after it is set", c.SetReadDeadline, time.Time{}, time.Time{}, time.Time{}},
		{"a near deadline is set exactly", c.SetReadDeadline, now.Add(200 * time.Millisecond), now.Add(200 * time.Millisecond), time.Time{}},
		{"the idle deadline clears the near one and is kept", c.SetReadDeadline, now.Add(2 * time.Minute), time.Time{}, now.Add(2 * time.Minute)},
		{"a hijack's clear is set", c.SetDeadline, time.Time{}, time.Time{}, time.Time{}},
		{"after it, a far deadline is set exactly", c.SetReadDeadline, now.Add(time.Minute), now.Add(time.Minute), time.Time{}},
	}
	for _, s := range steps {
		require.NoError(t, s.set(s.t), s.name)
		armed, kept := c.readState()
		assert.Equal(t, s.armed, armed, s.name)
		assert.Equal(t, s.kept, kept, s.name)
	}
}

// A far read deadline still ends a read that waits past it, a sweep or so late; a past one ends
// it at once, and a clear after it lets reads go on.
func TestCoarseConnReadDeadlines(t *testing.T) {
	t.Parallel()
	t.Run("a far deadline is enforced by the sweeper", func(t *testing.T) {
		t.Parallel()
		c, _ := acceptPair(t)
		start := time.Now()
		due := start.Add(sweptReadDeadline + readSweepInterval)
		require.NoError(t, c.SetReadDeadline(due))
		_, kept := c.readState()
		require.Equal(t, due, kept, "kept for the sweeper")
		select {
		case err := <-readEnds(c):
			assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "want a deadline error, got %v", err)
			assert.False(t, time.Now().Before(due), "ended before its deadline")
		case <-time.After(10 * time.Second):
			t.Fatal("a read past its far deadline did not end")
		}
	})
	t.Run("a past deadline interrupts a read at once and a clear resumes reading", func(t *testing.T) {
		t.Parallel()
		c, client := acceptPair(t)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Minute))) // kept, as the server's idle wait
		ended := readEnds(c)
		require.NoError(t, c.SetReadDeadline(time.Unix(1, 0)))
		select {
		case err := <-ended:
			assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "want a deadline error, got %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("a past deadline did not interrupt the read")
		}
		require.NoError(t, c.SetReadDeadline(time.Time{}))
		ended = readEnds(c)
		_, err := client.Write([]byte("x"))
		require.NoError(t, err)
		select {
		case err := <-ended:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("the read after the clear did not get the byte")
		}
	})
}

// Through a real server with a short header timeout: a client that sends half its headers and
// stops is disconnected, and so is one that stays idle past the idle timeout, while a client
// that keeps asking is served on one connection.
func TestServerReadTimeoutsThroughTheSweeper(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	// Timeouts beyond sweptReadDeadline: the server's read deadlines are the sweeper's to enforce.
	const timeout = sweptReadDeadline + readSweepInterval
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" { // outlasts the header and idle timeouts
				select {
				case <-r.Context().Done():
					_, _ = w.Write([]byte("context ended"))
				case <-time.After(2 * timeout):
					_, _ = w.Write([]byte("context intact"))
				}
				return
			}
			_, _ = w.Write([]byte("ok"))
		}),
		ReadHeaderTimeout: timeout, IdleTimeout: timeout, WriteTimeout: time.Minute,
	}
	go func() { _ = srv.Serve(newCoarseListener(ln, srv.WriteTimeout)) }()
	t.Cleanup(func() { _ = srv.Close() })

	// closedInTime requires the server to close c after the timeout, no more than a sweep or
	// so late.
	closedInTime := func(t *testing.T, c net.Conn) {
		t.Helper()
		const limit = 10 * time.Second
		start := time.Now()
		require.NoError(t, c.SetReadDeadline(start.Add(limit)))
		_, err := io.ReadAll(c) // until the server closes it
		require.NoError(t, err, "the server did not close the connection within %v", limit)
		took := time.Since(start)
		assert.GreaterOrEqual(t, took, timeout-50*time.Millisecond)
		assert.Less(t, took, timeout+readSweepInterval+2*time.Second, "cut off far later than a sweep late")
	}
	// send writes raw to c, and answer reads the response to it from r.
	send := func(t *testing.T, c net.Conn, raw string) {
		t.Helper()
		_, err := c.Write([]byte(raw))
		require.NoError(t, err)
	}
	answer := func(t *testing.T, r *bufio.Reader) string {
		t.Helper()
		resp, err := http.ReadResponse(r, nil)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(body)
	}
	dial := func(t *testing.T) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	t.Run("half a request's headers", func(t *testing.T) {
		t.Parallel()
		c := dial(t)
		send(t, c, "GET / HTTP/1.1\r\nHost: kir")
		closedInTime(t, c)
	})
	t.Run("an idle keep-alive connection", func(t *testing.T) {
		t.Parallel()
		c := dial(t)
		r := bufio.NewReader(c)
		for range 3 { // served again and again on the one connection
			send(t, c, "GET / HTTP/1.1\r\nHost: kirje\r\n\r\n")
			require.Equal(t, "ok", answer(t, r))
		}
		closedInTime(t, c)
	})
	t.Run("a bodyless request answered after both timeouts keeps its context", func(t *testing.T) {
		t.Parallel()
		c := dial(t)
		send(t, c, "GET /slow HTTP/1.1\r\nHost: kirje\r\n\r\n")
		assert.Equal(t, "context intact", answer(t, bufio.NewReader(c)))
	})
}

// The sweeper stops once the listener and its last connection are closed, not before.
func TestSweeperStopsWithTheLastConnection(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cl := newCoarseListener(ln, time.Minute)
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	c, err := cl.Accept()
	require.NoError(t, err)
	require.NoError(t, cl.Close())

	// The connection outlives the listener, and its far read deadline is still enforced.
	require.NoError(t, c.SetReadDeadline(time.Now().Add(sweptReadDeadline+readSweepInterval)))
	select {
	case err := <-readEnds(c):
		assert.True(t, errors.Is(err, os.ErrDeadlineExceeded), "want a deadline error, got %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("a far read deadline was not enforced after the listener closed")
	}
	select {
	case <-cl.swept:
		t.Fatal("the sweeper stopped while a connection was open")
	default:
	}
	require.NoError(t, c.Close())
	select {
	case <-cl.swept:
	case <-time.After(10 * time.Second):
		t.Fatal("the sweeper did not stop after the last connection closed")
	}
}
