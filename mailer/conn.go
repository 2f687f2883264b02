package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"

	"time"

	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

var errReleased = errors.New("mailer: send on a released Conn")

// Conn is one SMTP connection acquired from a Pool. It is for one caller at a time: Send any
// number of messages, then Release.
type Conn struct {
	pool     *Pool
	mc       *mail.Client // settings; made at the first dial
	sc       *smtp.Client // the session; nil when not connected
	lastUsed time.Time
	released bool

	mu      sync.Mutex
	nc      *abortConn // the network connection under sc
	aborted bool       // ctx ended during the current Send
}

// Send sends msg in one SMTP transaction, dialling first when the connection is not open. A
// failure at the connection level (network, timeout, 421, ctx ending mid-transaction) closes
// the connection, and the next Send dials anew; a rejected message (a 5xx to RCPT, say) keeps
// it, after an RSET. Errors are for Classify; when ctx ends during the send the error also
// wraps ctx's error. A message the server accepted is never reported as failed.
func (c *Conn) Send(ctx context.Context, msg *mail.Msg) error {
	if c.released {
		return errReleased
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mailer: send: %w", err)
	}
	c.setAborted(false)
	stop := context.AfterFunc(ctx, c.abort)
	err := c.send(ctx, msg)
	if !stop() { // ctx ended while we were talking: the session's state is unknown
		c.drop(ctx.Err())
		if err != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
	}
	return err
}

func (c *Conn) send(ctx context.Context, msg *mail.Msg) error {
	if c.sc == nil {
		if err := c.dial(ctx); err != nil {
			return &connectError{err: err}
		}
	}
	err := c.mc.SendWithSMTPClient(c.sc, msg)
	switch {
	case err == nil:
		return nil
	case msg.IsDelivered(): // accepted; only what came after failed
		c.drop(err)
		return nil
	case !c.usableAfter(err):
		c.drop(err)
	}
	return fmt.Errorf("mailer: send: %w", err)
}

// usableAfter reports whether the session can carry another message after a failed send,
// resetting the transaction when a reply left one open (go-mail resets after MAIL and RCPT
// failures, not after DATA).
func (c *Conn) usableAfter(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
		return true // refused before anything was sent
	case mail.ErrConnCheck, mail.ErrWriteContent:
		return false
	}
	if code := se.ErrorCode(); code == 0 || code == 421 {
		return false // no reply (network) or the server is closing the session
	}
	if se.Reason == mail.ErrSMTPData || se.Reason == mail.ErrSMTPDataClose {
		return c.sc.Reset() == nil
	}
	return true
}

// Release gives the connection back to its pool: kept open for the next caller when it is
// healthy, closed otherwise. Calling it twice is harmless.
func (c *Conn) Release() {
	if c.released {
		return
	}
	c.released = true
	c.pool.release(c)
}

func (c *Conn) connected() bool { return c.sc != nil }

func (c *Conn) dial(ctx context.Context) error {
	if c.mc == nil {
		mc, err := c.pool.newClient(c.dialNet)
		if err != nil {
			return err
		}
		c.mc = mc
	}
	sc, err := c.mc.DialToSMTPClientWithContext(ctx)
	if err != nil {
		c.closeNet() // go-mail leaves the socket open when EHLO, STARTTLS or AUTH fail
		c.pool.log.Debug("smtp dial failed", "error", err)
		return err
	}
	c.sc = sc
	n := c.pool.dials.Add(1)
	c.pool.log.Debug("smtp connection opened", "dials", n)
	return nil
}

// dialNet opens the network connection go-mail runs the session over, keeping hold of it so a
// cancelled ctx can interrupt a session in progress.
func (c *Conn) dialNet(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	nc := &abortConn{Conn: raw}
	c.mu.Lock()
	c.nc = nc
	if c.aborted {
		nc.abort()
	}
	c.mu.Unlock()
	wc := &writeCoalescer{Conn: nc}
	if c.pool.relay.TLS != TLSImplicit {
		return wc, nil
	}
	tc := tls.Client(wc, c.pool.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return tc, nil
}

func (c *Conn) setAborted(v bool) {
	c.mu.Lock()
	c.aborted = v
	c.mu.Unlock()
}

// abort interrupts the session's I/O; it runs when a Send's ctx ends.
func (c *Conn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aborted = true
	if c.nc != nil {
		c.nc.abort()
	}
}

// drop closes a connection that cannot be trusted any more, without the courtesy of QUIT.
func (c *Conn) drop(reason error) {
	if c.sc == nil {
		return
	}
	c.pool.log.Debug("smtp connection dropped", "error", reason)
	_ = c.sc.Close()
	c.sc = nil
	c.closeNet()
}

// quit ends a healthy session politely (bounded by a short deadline) and closes it.
func (c *Conn) quit() {
	if c.sc == nil {
		return
	}
	_ = c.sc.UpdateDeadline(2 * time.Second)
	if err := c.sc.Quit(); err != nil {
		_ = c.sc.Close()
	}
	c.sc = nil
	c.closeNet()
}

func (c *Conn) closeNet() {
	c.mu.Lock()
	nc := c.nc
	c.nc = nil
	c.mu.Unlock()
	if nc != nil {
		_ = nc.Close()
	}
}
