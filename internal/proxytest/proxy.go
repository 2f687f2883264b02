// Package proxytest is a TCP proxy for tests that need a connection to a real server to break
// at a chosen moment: after a command reached the server but before its reply, or from some
// point on. It relays bytes and understands no protocol; the test's filter does.
package proxytest

import (
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Filter sees each chunk of bytes a connection carries, in the order read, and returns false to
// cut the connection (both sides) instead of passing the chunk on. fromClient tells the
// direction. Calls for the two directions of one connection may run concurrently.
type Filter func(fromClient bool, chunk []byte) bool

// Start listens on a loopback port and relays every connection it accepts to target, through the
// Filter newFilter returns for that connection (nil passes everything). It returns the address
// to connect to. When the test ends the listener and every connection are closed, and the relays
// have returned.
func Start(t testing.TB, target string, newFilter func() Filter) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		mu     sync.Mutex
		conns  []net.Conn
		closed bool
		wg     sync.WaitGroup
	)
	// track keeps c to close at the end, or closes it now if the end has come.
	track := func(c net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			c.Close()
			return false
		}
		conns = append(conns, c)
		return true
	}
	wg.Go(func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			if !track(client) {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			if !track(server) {
				return
			}
			filter := newFilter()
			wg.Go(func() { relay(client, server, true, filter) })
			wg.Go(func() { relay(server, client, false, filter) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		closed = true
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// relay copies src to dst until either fails or filter cuts the connection.
func relay(src, dst net.Conn, fromClient bool, filter Filter) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && filter != nil && !filter(fromClient, buf[:n]) {
			return
		}
		if _, werr := dst.Write(buf[:n]); err != nil || werr != nil {
			return
		}
	}
}
