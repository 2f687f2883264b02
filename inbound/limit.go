package inbound

import (
	"log/slog"
	"net"
	"sync"
	"time"
)

// limitListener serves at most max connections at once and closes each after a session
// timeout. A connection over the limit is told so (421) and closed at once, rather than left
// waiting in the accept queue, so the sending MTA tries again later.
type limitListener struct {
	net.Listener
	sem     chan struct{}
	timeout time.Duration
	log     *slog.Logger
}

func newLimitListener(ln net.Listener, max int, timeout time.Duration, log *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, max), timeout: timeout, log: log}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.sem <- struct{}{}:
			lc := &limitedConn{Conn: c, release: func() { <-l.sem }}
			lc.timer = time.AfterFunc(l.timeout, func() { _ = c.Close() })
			return lc, nil
		default:
			l.log.Warn("inbound: connection limit reached; refusing", "remote_addr", c.RemoteAddr().String())
			go refuse(c)
		}
	}
}

func refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte("421 4.7.0 Too many connections, try again later\r\n"))
	_ = c.Close()
}

// limitedConn gives its slot back once, when closed.
type limitedConn struct {
	net.Conn
	release func()
	timer   *time.Timer
	once    sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() {
		c.timer.Stop()
		c.release()
	})
	return c.Conn.Close()
}
