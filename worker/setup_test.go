package worker

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/ratelimit"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/token"
)

type bundle struct {
	db    *pgtest.DB
	rd    *redistest.Redis
	sink  *smtptest.Sink
	list  *suppression.List
	w     *Worker
	brand register.Brand
}

type options struct {
	cfg  Config
	rcpt func(to string) error
	// unready leaves the suppression mirror unbuilt.
	unready bool
}

func setup(t *testing.T, o options) *bundle {
	t.Helper()
	ctx := context.Background()
	b := &bundle{db: pgtest.New(t), rd: redistest.New(t)}
	b.sink = smtptest.Start(t, smtptest.Options{Rcpt: o.rcpt})
	list, err := suppression.New(b.db.Pool, suppression.Config{RedisURL: b.rd.URL, Prefix: b.rd.Prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = list.Close() })
	if !o.unready {
		require.NoError(t, list.EnsureReady(ctx))
	}
	b.list = list

	relay, err := mailer.ParseRelay("default", "smtp://"+b.sink.Addr+"?pool=4")
	require.NoError(t, err)
	pool := mailer.NewPool(relay, nil)
	t.Cleanup(func() { _ = pool.Close() })

	keys, err := token.NewKeyring(1, map[byte][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	base, _ := url.Parse("https://t.kirje.test")

	cfg := o.cfg
	cfg.Namespace = b.rd.Prefix
	if cfg.MailDomain == "" {
		cfg.MailDomain = "bounce.kirje.test"
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	b.w, err = New(cfg, Deps{
		DB: b.db.Pool, Redis: b.rd.Client, Suppression: list,
		Limiter: ratelimit.New(b.rd.Client, b.rd.Prefix+"rl:"),
		Relays:  map[string]*mailer.Pool{"default": pool},
		Links:   token.Links{Base: base, Keys: keys},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.w.Close() })
	b.brand = fixture.Brand(t, b.db.Pool, "acme")
	return b
}

// run starts the worker (asynq server, scheduler, ledger writer) until the test ends.
func (b *bundle) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

// startWriter runs only the ledger writer, for tests that call handlers directly.
func (b *bundle) startWriter(t *testing.T) {
	t.Helper()
	go b.w.writer.run()
	t.Cleanup(b.w.writer.close)
}

// schedule creates a campaign for segment and schedules it now, enqueueing its start.
func (b *bundle) schedule(t *testing.T, segment string) campaign.Campaign {
	t.Helper()
	c := fixture.Scheduled(t, b.db.Pool, b.brand, segment, time.Now())
	require.NoError(t, NewScheduler(b.db.Pool, b.rd.Client, b.rd.Prefix).Scheduled(context.Background(), c))
	return c
}

// waitStatus waits for a campaign to reach status. There is no signal to await from the
// database, so it polls.
func (b *bundle) waitStatus(t *testing.T, id int64, status campaign.Status, within time.Duration) campaign.Campaign {
	t.Helper()
	var c campaign.Campaign
	require.Eventually(t, func() bool {
		var err error
		c, err = campaign.New(b.db.Pool).Get(context.Background(), id)
		return err == nil && c.Status == status
	}, within, 10*time.Millisecond, "campaign %d never became %s (is %s)", id, status, c.Status)
	return c
}

func (b *bundle) counts(t *testing.T, id int64) campaign.Counts {
	t.Helper()
	c, err := campaign.LedgerCounts(context.Background(), b.db.Pool, id)
	require.NoError(t, err)
	return c
}

func (b *bundle) ledger(t *testing.T, campaignID int64, email string) (status, detail string) {
	t.Helper()
	err := b.db.Pool.QueryRow(context.Background(), `
SELECT l.status, l.detail FROM send_ledger l JOIN contacts c ON c.id = l.contact_id
WHERE l.campaign_id = $1 AND c.email = $2`, campaignID, email).Scan(&status, &detail)
	require.NoError(t, err)
	return status, detail
}

// rcptReplies makes the sink answer RCPT for the given addresses with the given replies.
func rcptReplies(replies map[string]*smtp.SMTPError) func(string) error {
	return func(to string) error {
		if r, ok := replies[to]; ok {
			return r
		}
		return nil
	}
}
