package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/worker"
)

// startApp runs serve and work in-process: the HTTP surface on an httptest server, the worker in
// a goroutine. Both stop when the test ends.
func (s *stack) startApp(t *testing.T) (*App, *httptest.Server) {
	t.Helper()
	cfg, err := configFromEnv(s.getenv)
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(&testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := openApp(ctx, cfg, logger, true)
	require.NoError(t, err)
	// The worker builds the suppression mirror in the background; tests that check the list
	// directly wait for it, as every send does.
	require.NoError(t, app.supp.EnsureReady(ctx))
	h, closeHandler, err := app.httpHandler()
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	done := make(chan error, 1)
	go func() { done <- app.work(ctx) }()
	t.Cleanup(func() {
		srv.Close()
		closeHandler()
		cancel()
		require.NoError(t, <-done)
		app.Close()
	})
	return app, srv
}

type testWriter struct {
	t  *testing.T
	mu sync.Mutex
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// An RFC 8058 one-click POST during a large send: once its response is in, no message to that
// address starts. Targets spread over the audience are unsubscribed while the campaign runs;
// for each, either its message began before the response or it never goes.
func TestOneClickUnsubscribeTakesEffectBeforeTheResponse(t *testing.T) {
	if testing.Short() {
		t.Skip("sends a throttled 2,000-recipient campaign")
	}
	t.Parallel()
	ctx := context.Background()
	const n = 2000
	// The relay's rate keeps the send running for a few seconds, so unsubscribes land before,
	// during and after the targets' turns.
	s := newStack(t, smtptest.Options{Discard: true}, "KIRJE_DOMAIN_RATE=0", "KIRJE_BATCH_SIZE=50")
	s.env = append(s.env, "KIRJE_SMTP_URL=smtp://"+s.sink.Addr+"?pool=4&rate=300")
	fixture.Contacts(t, s.db.Pool, "live.example", n)
	brand := fixture.Brand(t, s.db.Pool, "acme")
	app, srv := s.startApp(t)
	c := fixture.Scheduled(t, s.db.Pool, brand, "", time.Now())
	require.NoError(t, worker.NewScheduler(s.db.Pool, app.rdb, s.rd.Prefix).Scheduled(ctx, c))

	type target struct {
		email    string
		answered time.Time
	}
	var targets []target
	reg := register.New(s.db.Pool)
	s.sink.Wait(t, 50, 30*time.Second)
	// From the end of the audience backwards: the first unsubscribes come well before their
	// targets' turns, the last ones meet the send where it is.
	for i := n - 1; i >= 100; i -= 40 {
		email := fmt.Sprintf("user%d@live.example", i)
		contact, err := reg.ContactByEmail(ctx, email)
		require.NoError(t, err)
		link := app.links.ForRecipient(c.ID, contact.ID, time.Now(), register.TrackingIndividual).OneClick()
		link = srv.URL + strings.TrimPrefix(link, "https://t.kirje.test")
		resp, err := http.Post(link, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		targets = append(targets, target{email: email, answered: time.Now()})
		time.Sleep(20 * time.Millisecond) // spread the unsubscribes over the send
	}
	s.waitDone(t, c.ID, 60*time.Second)

	prevented := 0
	for _, tg := range targets {
		msgs := s.sink.To(tg.email)
		require.LessOrEqual(t, len(msgs), 1, tg.email)
		if len(msgs) == 0 {
			prevented++
			continue
		}
		assert.True(t, msgs[0].StartedAt.Before(tg.answered),
			"%s: a message started %s after the unsubscribe was answered", tg.email, msgs[0].StartedAt.Sub(tg.answered))
	}
	t.Logf("%d unsubscribes during the send; %d stopped a message that had not started yet, %d came after it", len(targets), prevented, len(targets)-prevented)
	require.Positive(t, prevented, "no unsubscribe landed before its target's turn: the test proved nothing")
	// Dropped at the send-time check (suppressed) or, for later batches, already at the claim
	// (the register's ban, recorded in the same transaction).
	assert.EqualValues(t, prevented, s.count(t, `SELECT count(*) FROM send_ledger WHERE campaign_id = $1 AND status = 'dropped'`, c.ID))
}
