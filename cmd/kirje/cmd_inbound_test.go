package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/worker"
)

// freeAddr returns a loopback address nothing listens on (briefly: another process could take it).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// postfixDSN is a delivery status notification as Postfix writes one, returning the header of
// original about rcpt with the given status and diagnostic.
func postfixDSN(returnPath, rcpt, status, diagnostic, original string) string {
	head, _, _ := strings.Cut(strings.ReplaceAll(original, "\r\n", "\n"), "\n\n")
	return fmt.Sprintf(`From: MAILER-DAEMON@relay.test (Mail Delivery System)
To: %[1]s
Subject: Undelivered Mail Returned to Sender
Message-Id: <dsn.%[2]s@relay.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

<%[2]s>: %[4]s

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.test

Final-Recipient: rfc822; %[2]s
Action: failed
Status: %[3]s
Diagnostic-Code: smtp; %[4]s

--b1
Content-Type: text/rfc822-headers

%[5]s

--b1--
`, returnPath, rcpt, status, diagnostic, head)
}

func sendMail(t *testing.T, addr, rcpt, body string) {
	t.Helper()
	require.Eventually(t, func() bool {
		return smtp.SendMail(addr, nil, "", []string{rcpt}, []byte(strings.ReplaceAll(body, "\n", "\r\n"))) == nil
	}, 10*time.Second, 50*time.Millisecond, "deliver to %s", rcpt)
}

var mailtoInHeader = regexp.MustCompile(`<mailto:(u\+[a-z2-7]+@[^>]+)>`)

// A campaign sent by the worker with VERP; bounces, a block and a mailto unsubscribe delivered
// to the listener that serve/run start (App.serveInbound); `kirje inbound process` on a saved
// bounce.
func TestInboundAgainstARealSend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inboundAddr := freeAddr(t)
	s := newStack(t, smtptest.Options{}, "KIRJE_VERP=true", "KIRJE_MAIL_DOMAIN=bounce.kirje.test",
		"KIRJE_INBOUND_ADDR="+inboundAddr)
	brand := fixture.Brand(t, s.db.Pool, "acme")
	for _, e := range []string{"gone@corp.example", "blocked@corp.example", "leaving@corp.example", "saved@corp.example"} {
		fixture.Contact(t, s.db.Pool, e, "Buyer")
	}
	app, _ := s.startApp(t)
	inboundCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.serveInbound(inboundCtx) }()
	t.Cleanup(func() { stop(); require.NoError(t, <-done) })

	c := fixture.Scheduled(t, s.db.Pool, brand, "", time.Now())
	require.NoError(t, worker.NewScheduler(s.db.Pool, app.rdb, s.rd.Prefix).Scheduled(ctx, c))
	s.waitDone(t, c.ID, 30*time.Second)

	msg := func(to string) smtptest.Message {
		m := s.sink.To(to)
		require.Len(t, m, 1, to)
		require.True(t, strings.HasPrefix(m[0].From, "b+") && strings.HasSuffix(m[0].From, "@bounce.kirje.test"), "VERP return path, got %q", m[0].From)
		return m[0]
	}
	gone, blocked, leaving, saved := msg("gone@corp.example"), msg("blocked@corp.example"), msg("leaving@corp.example"), msg("saved@corp.example")
	sendMail(t, inboundAddr, gone.From, postfixDSN(gone.From, "gone@corp.example", "5.1.1", "550 5.1.1 User unknown", string(gone.Data)))
	sendMail(t, inboundAddr, blocked.From, postfixDSN(blocked.From, "blocked@corp.example", "5.7.1", "554 5.7.1 blocked using zen.spamhaus.org", string(blocked.Data)))
	mailto := mailtoInHeader.FindStringSubmatch(leaving.Header("List-Unsubscribe"))
	require.NotNil(t, mailto, leaving.Header("List-Unsubscribe"))
	sendMail(t, inboundAddr, mailto[1], "From: leaving@corp.example\nTo: "+mailto[1]+"\nSubject: unsubscribe\n\nunsubscribe\n")

	suppressed := func(email string) bool {
		v, err := app.supp.Check(ctx, brand.ID, email)
		require.NoError(t, err)
		return v.Suppressed
	}
	assert.True(t, suppressed("gone@corp.example"), "hard bounce")
	assert.False(t, suppressed("blocked@corp.example"), "a block is not the address's fault")
	assert.True(t, suppressed("leaving@corp.example"), "mailto unsubscribe")
	assert.EqualValues(t, 1, s.count(t, `SELECT count(*) FROM events WHERE type = 'block' AND brand_id = $1 AND campaign_id = $2`, brand.ID, c.ID))
	assert.EqualValues(t, 1, s.count(t, `SELECT count(*) FROM events WHERE type = 'unsubscribe' AND data->>'source' = 'mailto'`))
	assert.EqualValues(t, 4, s.count(t, `SELECT count(*) FROM send_ledger WHERE campaign_id = $1 AND status = 'sent'`, c.ID),
		"later bounces leave the ledger as the relay answered")

	// The same bounce collected by another MTA and saved: the CLI matches it by its Message-ID.
	file := filepath.Join(t.TempDir(), "saved.eml")
	dsn := postfixDSN("news@acme.example", "saved@corp.example", "5.1.1", "550 5.1.1 No such user", string(saved.Data))
	// No tokens: only the Message-ID ties it to the send.
	dsn = regexp.MustCompile(`[bu]\+[a-z2-7]+@|/u/[A-Za-z0-9_-]+`).ReplaceAllString(dsn, "x@")
	require.NoError(t, os.WriteFile(file, []byte(dsn), 0o600))
	var dry []fileResult
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "inbound", "process", "--dry-run", "--json", file)), &dry))
	require.Len(t, dry, 1)
	require.NotNil(t, dry[0].Result)
	require.Len(t, dry[0].Result.Outcomes, 1)
	assert.Equal(t, "hard", string(dry[0].Result.Outcomes[0].Verdict))
	assert.Equal(t, "message-id", dry[0].Result.Outcomes[0].Match)
	assert.False(t, suppressed("saved@corp.example"), "a dry run changes nothing")
	out := s.kirje(t, "inbound", "process", file)
	assert.Contains(t, out, "suppressed")
	assert.True(t, suppressed("saved@corp.example"))
}

// The listener's certificate and key go together, and files that do not load stop start-up with
// the setting named, before anything listens.
func TestInboundTLSSettings(t *testing.T) {
	t.Parallel()
	s := newStack(t, smtptest.Options{})
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(cert, []byte("not a certificate"), 0o600))
	require.NoError(t, os.WriteFile(key, []byte("not a key"), 0o600))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"certificate without key", []string{"--inbound-tls-cert", cert}, "go together"},
		{"key without certificate", []string{"--inbound-tls-key", key}, "go together"},
		{"files that do not load", []string{"--inbound-tls-cert", cert, "--inbound-tls-key", key}, "inbound-tls-cert"},
	}
	for _, tt := range tests {
		args := append([]string{"inbound", "--inbound-addr", freeAddr(t), "--mail-domain", "mail.example"}, tt.args...)
		code, stderr := s.kirjeExit(args...)
		assert.Equal(t, 2, code, "%s: %s", tt.name, stderr)
		assert.Contains(t, stderr, tt.want, tt.name)
	}
}
