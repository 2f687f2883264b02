package main

import (
	"context"
	"errors"
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
func TestCoarseWriteConnCutsOffAStalledWrite(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String()) // never reads
	require.NoError(t, err)
	defer client.Close()
	c, err := coarseWriteListener{Listener: ln, Timeout: 10 * time.Minute}.Accept()
	require.NoError(t, err)
	defer c.Close()
	require.IsType(t, &coarseWriteConn{}, c)

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

// Which deadlines a coarseWriteConn sets and which it lets the armed one stand for.
func TestCoarseWriteConnKeepsOnlyTheServersDeadlines(t *testing.T) {
	t.Parallel()
	const timeout = 10 * time.Minute
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	nc, err := coarseWriteListener{Listener: ln, Timeout: timeout}.Accept()
	require.NoError(t, err)
	defer nc.Close()
	c := nc.(*coarseWriteConn)

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
