package events_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/internal/pgtest"
)

// forget runs events.Forget in a transaction of its own.
func forget(ctx context.Context, db *pgtest.DB, contactID int64, addr string, hash []byte) (events.ForgetResult, error) {
	var res events.ForgetResult
	err := pg.InTx(ctx, db.Pool, func(tx pgx.Tx) error {
		var err error
		res, err = events.Forget(ctx, tx, contactID, addr, hash)
		return err
	})
	return res, err
}

func TestForgetAnonymisesAndScrubs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	const addr = "anna.o'hara+news@yritys.fi"
	h := sha256.Sum256([]byte(addr))
	hx := hex.EncodeToString(h[:])
	at := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	_, err := events.Insert(ctx, db.Pool,
		events.Event{Type: events.Open, OccurredAt: at, CampaignID: 1, ContactID: 7, IP: "192.0.2.1", UserAgent: "Mail"},
		events.Event{Type: events.Bounce, OccurredAt: at, CampaignID: 1, ContactID: 7,
			Reason: "550 5.1.1 <Anna.O'Hara+news@yritys.fi>: no such user", Data: map[string]any{"kind": "hard"}},
		events.Event{Type: events.SuppressionAdded, OccurredAt: at, Reason: "manual",
			Data: map[string]any{"address_hash": hx, "address": addr, "actor": "maija"}},
		events.Event{Type: events.Bounce, OccurredAt: at, Reason: "returned",
			Data: map[string]any{"recipient": "ANNA.O'HARA+NEWS@YRITYS.FI", "note": "for " + addr + " twice " + addr}},
		// Look-alikes that must stay: another contact, and an address the pattern must not match
		// by treating '.' or '+' as a wildcard.
		events.Event{Type: events.Open, OccurredAt: at, CampaignID: 1, ContactID: 8, IP: "192.0.2.2", UserAgent: "Mail"},
		events.Event{Type: events.Bounce, OccurredAt: at, CampaignID: 1, ContactID: 8, Reason: "annaxo'hara+news@yritys.fi"},
	)
	require.NoError(t, err)

	res, err := forget(ctx, db, 7, addr, h[:])
	require.NoError(t, err)
	assert.Equal(t, events.ForgetResult{ContactEvents: 2, SuppressionEvents: 1, OtherEvents: 1}, res)

	var traces int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM events
		WHERE strpos(lower(reason), $1) > 0 OR strpos(lower(coalesce(data::text, '')), $1) > 0 OR contact_id = 7`,
		addr).Scan(&traces))
	assert.Zero(t, traces, "no event names the person any more")

	var ips, withHash, counted int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE ip IS NOT NULL OR user_agent IS NOT NULL),
		count(*) FILTER (WHERE data ->> 'address_hash' = $1), count(*) FILTER (WHERE campaign_id = 1 AND type = 'open')
		FROM events`, hx).Scan(&ips, &withHash, &counted))
	assert.Equal(t, 1, ips, "only the other contact's open keeps its client data")
	assert.Equal(t, 1, withHash, "the suppression event keeps the hash")
	assert.Equal(t, 2, counted, "the campaign still counts both opens")

	var reason, note string
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT reason FROM events WHERE type = 'bounce' AND campaign_id = 1 AND contact_id IS NULL`).Scan(&reason))
	assert.Equal(t, "550 5.1.1 <[erased]>: no such user", reason)
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT data ->> 'note' FROM events WHERE reason = 'returned'`).Scan(&note))
	assert.Equal(t, "for [erased] twice [erased]", note)
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT reason FROM events WHERE contact_id = 8 AND type = 'bounce'`).Scan(&reason))
	assert.Equal(t, "annaxo'hara+news@yritys.fi", reason, "a look-alike is not the address")

	res, err = forget(ctx, db, 0, "nobody@example.fi", make([]byte, 32))
	require.NoError(t, err)
	assert.Zero(t, res, "nothing to forget")
}
