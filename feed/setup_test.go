package feed_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/internal/pgtest"
)

// bundle is what a feed test needs: a schema with a brand, a campaign (with its tracked links)
// and a contact.
type bundle struct {
	db         *pgtest.DB
	campaignID int64
	brandID    int64
	linkID     int
	linkURL    string
	contactID  int64
}

func setup(t testing.TB) bundle {
	t.Helper()
	db := pgtest.New(t)
	brand := fixture.Brand(t, db.Pool, "feedco")
	c := fixture.Campaign(t, db.Pool, brand, "")
	contact := fixture.Contact(t, db.Pool, "maija@asiakas.example", "Buyer")
	_, err := db.Pool.Exec(context.Background(),
		`UPDATE contacts SET customer_number = 'C-1', lead_id = 'L-1' WHERE id = $1`, contact.ID)
	require.NoError(t, err)
	b := bundle{db: db, campaignID: c.ID, brandID: brand.ID, contactID: contact.ID}
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		`SELECT id, url FROM campaign_links WHERE campaign_id = $1 AND NOT honeypot ORDER BY id LIMIT 1`,
		c.ID).Scan(&b.linkID, &b.linkURL))
	return b
}

// bigPool connects to the test's schema with room for many concurrent transactions.
func bigPool(t *testing.T, db *pgtest.DB, conns int) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(db.URL)
	require.NoError(t, err)
	cfg.MaxConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func insert(t *testing.T, db pg.DBTX, evs ...events.Event) {
	t.Helper()
	for i := range evs {
		if evs[i].OccurredAt.IsZero() {
			evs[i].OccurredAt = time.Date(2026, 3, 2, 10, 0, i, 0, time.UTC)
		}
	}
	_, err := events.Insert(context.Background(), db, evs...)
	require.NoError(t, err)
}
