package feed_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/feed"
)

// seedSQL writes one stretch of a realistic mix of events: four in ten sends (with a message
// ID), three opens (one in ten of them by a machine), two clicks on a tracked link, one
// unsubscribe, spread over the contacts.
const seedSQL = `
INSERT INTO events (type, occurred_at, campaign_id, contact_id, brand_id, link_id, machine, signals, reason, data)
SELECT (ARRAY['sent','sent','sent','sent','open','open','open','click','click','unsubscribe'])[1 + i % 10],
       timestamptz '2026-01-01' + i * interval '1 second', $1::bigint,
       $2::bigint + (i * 7919) % $3::bigint, $4::bigint,
       CASE WHEN i % 10 IN (7, 8) THEN $5::int END,
       i % 20 = 4, CASE WHEN i % 20 = 4 THEN '{proxy}'::text[] ELSE '{}' END,
       CASE WHEN i % 10 = 9 THEN 'brand' ELSE '' END,
       CASE WHEN i % 10 < 4 THEN jsonb_build_object('message_id', '<' || i || '.bench@feedco.example>') END
FROM generate_series($6::bigint, $7::bigint) AS i`

// seedFeed stores n events over `contacts` contacts, in transactions of 10,000.
func seedFeed(b *testing.B, bu bundle, n, contacts int) {
	ctx := context.Background()
	start := time.Now()
	var first int64
	require.NoError(b, bu.db.Pool.QueryRow(ctx, `
INSERT INTO contacts (email, customer_number, lead_id)
SELECT 'user' || i || '@bench.example', 'C-' || i, 'L-' || i FROM generate_series(1, $1) AS i
RETURNING id`, contacts).Scan(&first))
	_, err := bu.db.Pool.Exec(ctx, `SELECT setval(pg_get_serial_sequence('contacts', 'id'), max(id)) FROM contacts`)
	require.NoError(b, err)
	require.NoError(b, bu.db.Pool.QueryRow(ctx, `SELECT min(id) FROM contacts WHERE email LIKE '%@bench.example'`).Scan(&first))
	const step = 10000
	for lo := 1; lo <= n; lo += step {
		_, err := bu.db.Pool.Exec(ctx, seedSQL, bu.campaignID, first, contacts, bu.brandID, bu.linkID, lo, min(lo+step-1, n))
		require.NoError(b, err)
	}
	_, err = bu.db.Pool.Exec(ctx, `VACUUM ANALYZE events`)
	require.NoError(b, err)
	b.Logf("seeded %d events over %d contacts in %s", n, contacts, time.Since(start).Round(time.Millisecond))
}

// BenchmarkFeed reads 1,000,000 stored events from the beginning of the feed to its end; one op
// is the whole feed. "ndjson-http" is what GET /api/v1/events?format=ndjson serves to a client
// that splits the lines; "read" is feed.Each alone (PostgreSQL and scanning, no encoding), the
// baseline that shows what the HTTP and JSON layers cost. Both report events/s. Run with
// -benchtime=3x: seeding takes a while.
func BenchmarkFeed(b *testing.B) {
	const n, contacts = 1_000_000, 100_000
	bu := setup(b)
	seedFeed(b, bu, n, contacts)

	b.Run("ndjson-http", func(b *testing.B) {
		mux := http.NewServeMux()
		mux.Handle("GET /api/v1/events", feed.Handler(bu.db.Pool, nil))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		total := 0
		for b.Loop() {
			got := streamAll(b, srv.URL)
			require.GreaterOrEqual(b, got, n)
			total += got
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("read", func(b *testing.B) {
		total := 0
		for b.Loop() {
			_, err := feed.Each(context.Background(), bu.db.Pool, feed.Query{}, func(*feed.Event) error {
				total++
				return nil
			})
			require.NoError(b, err)
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
	})
}

func streamAll(b *testing.B, url string) int {
	res, err := http.Get(url + "/api/v1/events?format=ndjson")
	require.NoError(b, err)
	defer res.Body.Close()
	require.Equal(b, http.StatusOK, res.StatusCode)
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
	}
	require.NoError(b, sc.Err())
	return lines
}
