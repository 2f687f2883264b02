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

// TestWithBodyDeadline checks the read deadline that stands in for the server's ReadTimeout: a
// body that stalls is cut off, and a request without a body is not (net/http reads ahead on its
// connection while it runs, and a deadline there would cancel its context).
func TestWithBodyDeadline(t *testing.T) {
	const read = 200 * time.Millisecond

	// start serves withBodyDeadline over a handler that reads the body whole (reporting how the
	// read ended on the returned channel) or, for a GET, answers after 3×read unless its context
	// ends first; it returns a connection to the server.
	start := func(t *testing.T) (net.Conn, *bufio.Reader, <-chan error) {
		bodyErr := make(chan error, 1)
		h := withBodyDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				select {
				case <-r.Context().Done():
					http.Error(w, "context ended", http.StatusServiceUnavailable)
				case <-time.After(3 * read):
					io.WriteString(w, "ok")
				}
				return
			}
			_, err := io.ReadAll(r.Body)
			bodyErr <- err
			if err != nil {
				http.Error(w, "body too slow", http.StatusRequestTimeout)
				return
			}
			io.WriteString(w, "ok")
		}), read)
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
	// send writes a raw request and returns its answer's status once it comes.
	send := func(c net.Conn, r *bufio.Reader, request string) <-chan int {
		status := make(chan int, 1)
		go func() {
			defer close(status)
			if _, err := io.WriteString(c, request); err != nil {
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
			t.Fatal("no answer")
		}
	}

	t.Run("a stalled body is cut off", func(t *testing.T) {
		c, r, bodyErr := start(t)
		// Three bytes announced, one sent, then nothing.
		await(t, send(c, r, "POST /import HTTP/1.1\r\nHost: kirje\r\nContent-Length: 3\r\n\r\na"), http.StatusRequestTimeout)
		require.Error(t, <-bodyErr)
	})
	t.Run("a request without a body outlives the body deadline", func(t *testing.T) {
		c, r, _ := start(t)
		await(t, send(c, r, "GET /api/v1/events HTTP/1.1\r\nHost: kirje\r\n\r\n"), http.StatusOK)
	})
}
