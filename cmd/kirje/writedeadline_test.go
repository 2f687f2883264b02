package main

import (
	"errors"
	"net"
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
	c, err := coarseWriteListener{ln}.Accept()
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
