package privacy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/privacy"
	"github.com/kirje/kirje/suppression"
)

// BenchmarkErase is one erasure against an events table of a million rows (opens with IP and
// user agent, and sends with a reason), most of its cost the sweep for events that carry the
// address without naming the contact.
//
//	go test -run '^$' -bench Erase -benchtime 5x ./privacy/
func BenchmarkErase(b *testing.B) {
	ctx := context.Background()
	db, rd := pgtest.New(b), redistest.New(b)
	list, err := suppression.New(db.Pool, suppression.Config{RedisURL: rd.URL, Prefix: rd.Prefix})
	require.NoError(b, err)
	b.Cleanup(func() { _ = list.Close() })
	require.NoError(b, list.EnsureReady(ctx))
	svc := privacy.New(privacy.Config{DB: db.Pool, Suppression: list, Optouts: optout.New(db.Pool, list)})
	_, err = db.Pool.Exec(ctx, `
INSERT INTO events (type, occurred_at, campaign_id, contact_id, ip, user_agent, reason, data)
SELECT CASE WHEN i % 3 = 0 THEN 'sent' ELSE 'open' END, now(), 1 + i % 50, 1000000 + i % 100000,
       '198.51.100.' || (i % 250), 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', '',
       CASE WHEN i % 3 = 0 THEN jsonb_build_object('message_id', 'm' || i || '@kirje.example') END
FROM generate_series(1, 1000000) AS i`)
	require.NoError(b, err)
	_, err = db.Pool.Exec(ctx, `ANALYZE events`)
	require.NoError(b, err)
	var size string
	require.NoError(b, db.Pool.QueryRow(ctx, `SELECT pg_size_pretty(pg_total_relation_size('events'))`).Scan(&size))
	b.Logf("events: 1,000,000 rows, %s", size)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		addr := fmt.Sprintf("person%d@kone.example", i)
		fixture.Contact(b, db.Pool, addr, "Buyer")
		b.StartTimer()
		start := time.Now()
		_, err := svc.Erase(ctx, addr, by("bench"))
		require.NoError(b, err)
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/erasure")
	}
}

// BenchmarkRetention is one retention run over a million events that are all old enough: first
// clearing their client data, then deleting them (the feed cursor has read them all).
//
//	go test -run '^$' -bench Retention -benchtime 1x ./privacy/
func BenchmarkRetention(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		db := pgtest.New(b)
		_, err := db.Pool.Exec(ctx, `
INSERT INTO events (type, occurred_at, recorded_at, campaign_id, contact_id, ip, user_agent)
SELECT 'open', now() - interval '800 days', now() - interval '800 days', 1 + i % 50, i % 100000,
       '198.51.100.' || (i % 250), 'Mozilla/5.0'
FROM generate_series(1, 1000000) AS i`)
		require.NoError(b, err)
		_, err = db.Pool.Exec(ctx, `UPDATE feed_cursors SET tx = (SELECT max(tx) FROM events), id = (SELECT max(id) FROM events)`)
		require.NoError(b, err)
		b.StartTimer()
		start := time.Now()
		res, err := privacy.NewRetention(db.Pool, privacy.RetentionConfig{ClientDataAge: 90 * day}).Run(ctx)
		require.NoError(b, err)
		require.EqualValues(b, 1000000, res.ClientDataCleared)
		cleared := time.Since(start)
		start = time.Now()
		res, err = privacy.NewRetention(db.Pool, privacy.RetentionConfig{EventAge: 730 * day}).Run(ctx)
		require.NoError(b, err)
		require.EqualValues(b, 1000000, res.EventsDeleted)
		b.ReportMetric(float64(cleared.Milliseconds()), "ms-clear/1M")
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-delete/1M")
	}
}
