package inbound_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/inbound"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/optout"
)

// listen starts a Listener for b's processor (or p) on a free port until the test ends.
func listen(t testing.TB, p *inbound.Processor, cfg inbound.ListenerConfig) string {
	t.Helper()
	if cfg.Domain == "" {
		cfg.Domain = mailDomain
	}
	l, err := inbound.NewListener(cfg, p)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return ln.Addr().String()
}

// deliver sends raw from the null sender to rcpts over SMTP and returns the server's reply code
// to the first refused command (0 when the message was accepted).
func deliver(t testing.TB, addr string, rcpts []string, raw []byte) int {
	t.Helper()
	c, err := smtp.Dial(addr)
	require.NoError(t, err)
	defer c.Close()
	code := func(err error) int {
		var te *textproto.Error
		require.True(t, errors.As(err, &te), "unexpected error %v", err)
		return te.Code
	}
	require.NoError(t, c.Mail(""))
	for _, r := range rcpts {
		if err := c.Rcpt(r); err != nil {
			return code(err)
		}
	}
	w, err := c.Data()
	require.NoError(t, err)
	_, err = w.Write(raw)
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return code(err)
	}
	return 0
}

// verpOf returns the envelope recipient the template's {{VERP}} was filled with.
func verpOf(t testing.TB, raw []byte) string {
	t.Helper()
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "To: "); ok && strings.HasPrefix(v, "b+") || strings.HasPrefix(v, "u+") {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no token address in To")
	return ""
}

func TestListenerDeliveredBouncesTakeEffect(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	reg := prometheus.NewRegistry()
	addr := listen(t, b.proc, inbound.ListenerConfig{Mailboxes: []string{"fbl@" + mailDomain}, Metrics: inbound.NewMetrics(reg)})
	cases := []struct {
		file, email string
		suppressed  bool
		event       string
	}{
		{"postfix-user-unknown.eml", "maija.virtanen@example.fi", true, "bounce"},
		{"m365-recipient-not-found.eml", "veikko.aalto@contoso.example", true, "bounce"},
		{"qmail-no-mailbox.eml", "kalle.jokinen@example.net", true, "bounce"},
		{"postfix-spamhaus-block.eml", "jukka.lehtonen@example.org", false, "block"},
		{"postfix-delayed.eml", "anna.korhonen@example.com", false, "delayed"},
		{"mailto-unsubscribe.eml", "pia.example@example.fi", true, "unsubscribe"},
	}
	for _, tc := range cases {
		c := b.send(t, b.campaign, tc.email, "")
		raw := b.message(t, readCorpus(t, tc.file), b.campaign, c, "m-"+tc.file)
		assert.Zero(t, deliver(t, addr, []string{verpOf(t, raw)}, raw), tc.file)
		assert.Equal(t, tc.suppressed, b.suppressed(t, tc.email), tc.file)
		assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE type = $1 AND contact_id = $2`, tc.event, c.ID), tc.file)
	}
	// A feedback-loop report to the configured mailbox, matched by the tokens in the returned message.
	sirpa := b.send(t, b.campaign, "sirpa.koivisto@yahoo.example", "")
	raw := b.message(t, readCorpus(t, "yahoo-arf-abuse.eml"), b.campaign, sirpa, "m-arf")
	assert.Zero(t, deliver(t, addr, []string{"fbl@" + mailDomain}, raw))
	assert.True(t, b.suppressed(t, sirpa.Email))
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE type = 'complaint' AND contact_id = $1`, sirpa.ID))
	assert.Zero(t, b.count(t, `SELECT count(*) FROM inbound_quarantine`))

	// What /metrics says about it.
	assert.InDelta(t, 7, metric(t, reg, "kirje_inbound_messages_total", "result", "processed"), 0)
	assert.InDelta(t, 3, metric(t, reg, "kirje_inbound_outcomes_total", "effect", inbound.EffectSuppressed), 0,
		"three hard bounces suppressed their addresses")
	assert.InDelta(t, 1, metric(t, reg, "kirje_inbound_outcomes_total", "effect", inbound.EffectBanned), 0, "one complaint")
}

// metric sums the samples of a counter whose label has the given value.
func metric(t testing.TB, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}

func TestListenerRefusesWhatItDoesNotOwn(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	reg := prometheus.NewRegistry()
	addr := listen(t, b.proc, inbound.ListenerConfig{Metrics: inbound.NewMetrics(reg)})
	c := b.send(t, b.campaign, "maija.virtanen@example.fi", "")
	raw := b.message(t, readCorpus(t, "postfix-user-unknown.eml"), b.campaign, c, "m")
	verp := verpOf(t, raw)
	tests := []struct {
		rcpt string
		code int
	}{
		{"someone@" + mailDomain, 550},                           // not an address of ours
		{"b+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@" + mailDomain, 550}, // forged token
		{"u" + strings.TrimPrefix(verp, "b"), 550},               // a bounce token used as a mailto token
		{"maija.virtanen@example.fi", 550},                       // never relays
		{strings.Replace(verp, mailDomain, "other.example", 1), 550},
		{"postmaster@" + mailDomain, 0},
		{"PostMaster@" + strings.ToUpper(mailDomain), 0},
		{strings.ToUpper(verp), 0}, // some MTAs change the case of a VERP address
	}
	for _, tt := range tests {
		assert.Equal(t, tt.code, deliver(t, addr, []string{tt.rcpt}, []byte("Subject: hi\r\n\r\nhello\r\n")), tt.rcpt)
	}
	assert.InDelta(t, 5, metric(t, reg, "kirje_inbound_refused_recipients_total", "code", "550"), 0)
}

// With a certificate the listener offers STARTTLS, and mail delivered over it is processed.
func TestListenerOffersSTARTTLS(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	cert, _ := smtptest.Certificate(t, mailDomain)
	addr := listen(t, b.proc, inbound.ListenerConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c := b.send(t, b.campaign, "maija.virtanen@example.fi", "")
	raw := b.message(t, readCorpus(t, "postfix-user-unknown.eml"), b.campaign, c, "m-tls")

	client, err := smtp.Dial(addr)
	require.NoError(t, err)
	defer client.Close()
	ok, _ := client.Extension("STARTTLS")
	require.True(t, ok, "STARTTLS is offered")
	require.NoError(t, client.StartTLS(&tls.Config{InsecureSkipVerify: true})) //nolint:gosec // the test's own certificate
	state, ok := client.TLSConnectionState()
	require.True(t, ok)
	assert.True(t, state.HandshakeComplete)
	require.NoError(t, client.Mail(""))
	require.NoError(t, client.Rcpt(verpOf(t, raw)))
	w, err := client.Data()
	require.NoError(t, err)
	_, err = w.Write(raw)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	assert.True(t, b.suppressed(t, c.Email))
}

func TestListenerLimitsSize(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	addr := listen(t, b.proc, inbound.ListenerConfig{MaxMessageBytes: 64 << 10})
	big := []byte("Subject: big\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", 8<<10))
	assert.Equal(t, 552, deliver(t, addr, []string{"postmaster@" + mailDomain}, big))
	assert.Zero(t, deliver(t, addr, []string{"postmaster@" + mailDomain}, []byte("Subject: small\r\n\r\nhi\r\n")),
		"the listener goes on after a refused message")
}

func TestListenerQuarantinesMalformedAndHostileMail(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{QuarantineMaxBytes: 1 << 10})
	addr := listen(t, b.proc, inbound.ListenerConfig{MaxMessageBytes: 8 << 20})
	deep := strings.Repeat("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n", 2000)
	for name, raw := range map[string]string{
		"not mail":       "this is not a header\r\nnor is this\r\n",
		"deeply nested":  "From: MAILER-DAEMON@x.example\r\n" + deep,
		"huge header":    "Subject: " + strings.Repeat(strings.Repeat("x", 900)+"\r\n ", 4500) + "\r\n\r\nbody\r\n",
		"bad encodings":  "From: MAILER-DAEMON@x.example\r\nContent-Transfer-Encoding: base64\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n!!!\x00\xff\xfe==\r\n",
		"nul in headers": "From: \x00\xff <MAILER-DAEMON@x.example>\r\nSubject: \x00\r\n\r\n<a@b.fi>: 550 5.1.1 \x00 user unknown\r\n",
	} {
		assert.Zero(t, deliver(t, addr, []string{"postmaster@" + mailDomain}, []byte(raw)), name)
	}
	// A line longer than SMTP allows (RFC 5321: 1000 octets) ends the session; the next one works.
	c, err := smtp.Dial(addr)
	require.NoError(t, err)
	require.NoError(t, c.Mail(""))
	require.NoError(t, c.Rcpt("postmaster@"+mailDomain))
	w, err := c.Data()
	require.NoError(t, err)
	_, _ = w.Write([]byte("Subject: " + strings.Repeat("x", 1<<20) + "\r\n\r\nbody\r\n"))
	assert.Error(t, w.Close())
	_ = c.Close()
	assert.Zero(t, deliver(t, addr, []string{"postmaster@" + mailDomain}, []byte("Subject: x\r\n\r\nstill here\r\n")))

	assert.Equal(t, 2, b.count(t, `SELECT count(*) FROM inbound_quarantine WHERE reason = 'malformed'`))
	assert.Equal(t, 4, b.count(t, `SELECT count(*) FROM inbound_quarantine WHERE reason = 'unmatched'`))
	assert.Zero(t, b.count(t, `SELECT count(*) FROM inbound_quarantine WHERE octet_length(raw) > 1024`), "raw is capped")
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM inbound_quarantine WHERE size > 4000000`), "the whole size is kept")
}

// panicking is an Unsubscriber with a bug.
type panicking struct{}

func (panicking) Unsubscribe(context.Context, optout.Request) error { panic("bug in an unsubscriber") }

func TestListenerSurvivesAPanicAndKeepsTheMessage(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	p, err := inbound.NewProcessor(inbound.Config{Keys: b.keys}, inbound.Deps{DB: b.db.Pool, Suppression: b.list, Optout: panicking{}})
	require.NoError(t, err)
	addr := listen(t, p, inbound.ListenerConfig{})
	c := b.send(t, b.campaign, "maija.virtanen@example.fi", "")
	raw := b.message(t, readCorpus(t, "mailto-unsubscribe.eml"), b.campaign, c, "m")
	assert.Zero(t, deliver(t, addr, []string{verpOf(t, raw)}, raw))
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM inbound_quarantine WHERE reason = 'panic'`))
	assert.Zero(t, deliver(t, addr, []string{"postmaster@" + mailDomain}, []byte("Subject: x\r\n\r\nstill here\r\n")))
}

func TestListenerAsksForARetryWhenTheDatabaseIsDown(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	c := b.send(t, b.campaign, "maija.virtanen@example.fi", "")
	raw := b.message(t, readCorpus(t, "postfix-user-unknown.eml"), b.campaign, c, "m")
	down, err := pgxpoolNew(t, b.db.URL)
	require.NoError(t, err)
	p, err := inbound.NewProcessor(inbound.Config{Keys: b.keys}, inbound.Deps{DB: down, Suppression: b.list, Optout: optout.New(down, b.list)})
	require.NoError(t, err)
	down.Close()
	addr := listen(t, p, inbound.ListenerConfig{})
	assert.Equal(t, 451, deliver(t, addr, []string{verpOf(t, raw)}, raw))
	assert.False(t, b.suppressed(t, c.Email))

	// The retry, once the database is back, takes effect.
	addr = listen(t, b.proc, inbound.ListenerConfig{})
	assert.Zero(t, deliver(t, addr, []string{verpOf(t, raw)}, raw))
	assert.True(t, b.suppressed(t, c.Email))
}

func TestListenerLimitsConnections(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	addr := listen(t, b.proc, inbound.ListenerConfig{MaxConns: 2, SessionTimeout: time.Minute})
	var held []*smtp.Client
	for range 2 {
		c, err := smtp.Dial(addr) // reads the 220 greeting: the connection holds a slot
		require.NoError(t, err)
		held = append(held, c)
	}
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	line, err := textproto.NewConn(conn).ReadLine()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(line, "421 "), line)
	_ = conn.Close()
	_ = held[0].Quit()
	// The listener frees the slot just after the session's last reply, so the first tries may
	// still be greeted with 421: they must not fail the test, as deliver's checks would.
	require.Eventually(t, func() bool {
		c, err := smtp.Dial(addr)
		if err != nil {
			return false
		}
		defer c.Close()
		return c.Mail("") == nil && c.Rcpt("postmaster@"+mailDomain) == nil
	}, 5*time.Second, 20*time.Millisecond, "a slot is free again once a session ends")
	_ = held[1].Close()
}

func TestListenerClosesIdleSessions(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	addr := listen(t, b.proc, inbound.ListenerConfig{SessionTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	tc := textproto.NewConn(conn)
	_, err = tc.ReadLine() // greeting
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		if _, err = tc.ReadLine(); err != nil {
			break
		}
	}
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the server closed the session before the client gave up: %v", err)
}
