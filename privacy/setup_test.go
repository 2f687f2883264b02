package privacy_test

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/ratelimit"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/privacy"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/token"
	"github.com/kirje/kirje/worker"
)

// env is one test's Kirje: its own schema and Redis prefix, the suppression list, the optout
// and privacy services, and (once started) a worker sending to an in-process SMTP sink.
type env struct {
	ctx     context.Context
	db      *pgtest.DB
	rd      *redistest.Redis
	list    *suppression.List
	optouts *optout.Service
	svc     *privacy.Service
	links   token.Links
	sink    *smtptest.Sink
	rcpt    *rcptRules
}

func setup(t *testing.T) *env {
	t.Helper()
	e := &env{ctx: context.Background(), db: pgtest.New(t), rd: redistest.New(t), rcpt: &rcptRules{}}
	list, err := suppression.New(e.db.Pool, suppression.Config{RedisURL: e.rd.URL, Prefix: e.rd.Prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = list.Close() })
	require.NoError(t, list.EnsureReady(e.ctx))
	e.list = list
	e.optouts = optout.New(e.db.Pool, list)
	e.svc = privacy.New(privacy.Config{DB: e.db.Pool, Suppression: list, Optouts: e.optouts})
	keys, err := token.NewKeyring(1, map[byte][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	base, err := url.Parse("https://t.kirje.test")
	require.NoError(t, err)
	e.links = token.Links{Base: base, Keys: keys}
	return e
}

// by is the audit template of a staff member's request.
func by(name string) access.Entry {
	return access.Entry{Actor: name, UserID: 1, TokenID: 2, IP: "192.0.2.50"}
}

// rcptRules lets a test change the sink's answers between campaigns.
type rcptRules struct {
	mu    sync.Mutex
	rules map[string]error
}

func (r *rcptRules) set(to string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rules == nil {
		r.rules = map[string]error{}
	}
	r.rules[to] = err
}

func (r *rcptRules) answer(to string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rules[to]
}

// startWorker runs the real worker (asynq, ledger writer, scheduler) until the test ends.
func (e *env) startWorker(t *testing.T) {
	t.Helper()
	e.sink = smtptest.Start(t, smtptest.Options{Rcpt: e.rcpt.answer})
	relay, err := mailer.ParseRelay("default", "smtp://"+e.sink.Addr+"?pool=2")
	require.NoError(t, err)
	pool := mailer.NewPool(relay, nil)
	t.Cleanup(func() { _ = pool.Close() })
	w, err := worker.New(worker.Config{Namespace: e.rd.Prefix, MailDomain: "bounce.kirje.test",
		PollInterval: 20 * time.Millisecond}, worker.Deps{
		DB: e.db.Pool, Redis: e.rd.Client, Suppression: e.list,
		Limiter: ratelimit.New(e.rd.Client, e.rd.Prefix+"rl:"),
		Relays:  map[string]*mailer.Pool{"default": pool}, Links: e.links,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		_ = w.Close()
	})
}

// send schedules a campaign of brand to everyone now and waits until it is done.
func (e *env) send(t *testing.T, brand register.Brand) campaign.Campaign {
	t.Helper()
	c := fixture.Scheduled(t, e.db.Pool, brand, "", time.Now())
	sched := worker.NewScheduler(e.db.Pool, e.rd.Client, e.rd.Prefix)
	t.Cleanup(func() { _ = sched.Close() })
	require.NoError(t, sched.Scheduled(e.ctx, c))
	require.Eventually(t, func() bool {
		got, err := campaign.New(e.db.Pool).Get(e.ctx, c.ID)
		return err == nil && got.Status == campaign.StatusDone
	}, 30*time.Second, 10*time.Millisecond, "campaign %d never finished", c.ID)
	return c
}

func (e *env) counts(t *testing.T, campaignID int64) campaign.Counts {
	t.Helper()
	c, err := campaign.LedgerCounts(e.ctx, e.db.Pool, campaignID)
	require.NoError(t, err)
	return c
}
