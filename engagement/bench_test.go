package engagement_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/engagement"
	"github.com/kirje/kirje/internal/pgtest"
)

// seedSQL writes a stretch of a realistic mix over 90 days: four in ten sends, three opens (one
// in ten by a machine), two clicks, one unsubscribe, spread over the contacts.
const seedSQL = `
INSERT INTO events (type, occurred_at, campaign_id, contact_id, machine)
SELECT (ARRAY['sent','sent','sent','sent','open','open','open','click','click','unsubscribe'])[1 + i % 10],
       timestamptz '2026-01-01' + (i % 7776000) * interval '1 second', 1 + i / 100000,
       $1::bigint + (i * 7919) % $2::bigint, i % 20 = 4
FROM generate_series($3::bigint, $4::bigint) AS i`

// BenchmarkRollup folds 1,000,000 stored events over 100,000 contacts into the rollups from an
// empty state (one op = the whole feed, windows included) and reports events/s. Run it with
// -benchtime=3x: seeding takes a while.
func BenchmarkRollup(b *testing.B) {
	const n, contacts = 1_000_000, 100_000
	ctx := context.Background()
	db := pgtest.New(b)
	start := time.Now()
	_, err := db.Pool.Exec(ctx, `
INSERT INTO contacts (email) SELECT 'user' || i || '@bench.example' FROM generate_series(1, $1) AS i`, contacts)
	require.NoError(b, err)
	var first int64
	require.NoError(b, db.Pool.QueryRow(ctx, `SELECT min(id) FROM contacts`).Scan(&first))
	for lo := 1; lo <= n; lo += 10000 {
		_, err := db.Pool.Exec(ctx, seedSQL, first, contacts, lo, min(lo+9999, n))
		require.NoError(b, err)
	}
	_, err = db.Pool.Exec(ctx, `VACUUM ANALYZE events`)
	require.NoError(b, err)
	b.Logf("seeded %d events in %s", n, time.Since(start).Round(time.Millisecond))

	now := func() time.Time { return time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC) }
	total := int64(0)
	for b.Loop() {
		b.StopTimer()
		reset(b, db)
		b.StartTimer()
		r, err := engagement.NewFolder(db.Pool, engagement.FolderConfig{Now: now}).Run(ctx)
		require.NoError(b, err)
		require.GreaterOrEqual(b, r.Events, int64(n))
		total += r.Events
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
}

func reset(b *testing.B, db *pgtest.DB) {
	for _, sql := range []string{
		`TRUNCATE contact_engagement, contact_engagement_days`,
		`UPDATE feed_cursors SET tx = '0', id = 0 WHERE name = 'engagement'`,
		`VACUUM ANALYZE contact_engagement, contact_engagement_days`,
	} {
		_, err := db.Pool.Exec(context.Background(), sql)
		require.NoError(b, err)
	}
}
