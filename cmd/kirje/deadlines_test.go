package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWithDeadlines checks the per-request deadlines that stand in for the server's read and
// write timeouts: a body that stalls is cut off, and a connection that served a request within
// its deadlines is still usable after they have passed.
func TestWithDeadlines(t *testing.T) {
	const read = 200 * time.Millisecond

	// start serves a handler that reads the body whole under withDeadlines, reports how the read
	// ended on the returned channel, and returns a connection to it.
	start := func(t *testing.T) (net.Conn, *bufio.Reader, <-chan error) {
		bodyErr := make(chan error, 2)
		h := withDeadlines(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			bodyErr <- err
			if err != nil {
				http.Error(w, "body too slow", http.StatusRequestTimeout)
				return
			}
			io.WriteString(w, "ok")
		}), read, 5*time.Second)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serveHTTP(ctx, ln, h, slog.New(slog.DiscardHandler)) }()
		t.Cleanup(func() {
			cancel()
			assert.NoError(t, <-done)
		})
		c, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() }) // first: a handler still reading sees the end of its body
		return c, bufio.NewReader(c), bodyErr
	}
	// post sends a request announcing a 3-byte body and then body, and returns its answer's status.
	post := func(c net.Conn, r *bufio.Reader, body string) <-chan int {
		status := make(chan int, 1)
		go func() {
			defer close(status)
			if _, err := io.WriteString(c, "POST /import HTTP/1.1\r\nHost: kirje\r\nContent-Length: 3\r\n\r\n"+body); err != nil {
				return
			}
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status <- resp.StatusCode
		}()
		return status
	}
	await := func(t *testing.T, c <-chan int, want int) {
		select {
		case got := <-c:
			require.Equal(t, want, got)
		case <-time.After(20 * read):
			t.Fatal("no answer: a deadline did not cut the request off")
		}
	}

	t.Run("a stalled body is cut off", func(t *testing.T) {
		c, r, bodyErr := start(t)
		await(t, post(c, r, "a"), http.StatusRequestTimeout) // two bytes short, then nothing
		require.Error(t, <-bodyErr)
	})
	t.Run("deadlines end with their request", func(t *testing.T) {
		c, r, bodyErr := start(t)
		await(t, post(c, r, "abc"), http.StatusOK)
		require.NoError(t, <-bodyErr)
		time.Sleep(2 * read) // past the first request's read deadline: the point of the test
		await(t, post(c, r, "abc"), http.StatusOK)
		require.NoError(t, <-bodyErr)
	})
}
