package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pgtest"
)

// aged inserts n opens with client data and sets their recorded_at to at; it returns their
// positions in feed order.
func aged(t *testing.T, db *pgtest.DB, n int, at time.Time) []events.Position {
	t.Helper()
	ctx := context.Background()
	var before int64
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&before))
	evs := make([]events.Event, n)
	for i := range evs {
		evs[i] = events.Event{Type: events.Open, OccurredAt: at, CampaignID: 1, ContactID: int64(i + 1),
			IP: "192.0.2.1", UserAgent: "Mail"}
	}
	_, err := events.Insert(ctx, db.Pool, evs...)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `UPDATE events SET recorded_at = $1 WHERE id > $2`, at, before)
	require.NoError(t, err)
	ps := positions(t, db, `SELECT tx, id FROM events WHERE id > $1 ORDER BY tx, id`, before)
	require.Len(t, ps, n)
	return ps
}

// positions runs a query of (tx, id) rows.
func positions(t *testing.T, db *pgtest.DB, sql string, args ...any) []events.Position {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), sql, args...)
	require.NoError(t, err)
	var ps []events.Position
	for rows.Next() {
		var p events.Position
		require.NoError(t, rows.Scan(&p.Tx, &p.ID))
		ps = append(ps, p)
	}
	require.NoError(t, rows.Err())
	return ps
}

func TestClearClientDataStopsAtTheCutoff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	old := aged(t, db, 5, now.Add(-100*24*time.Hour))
	aged(t, db, 3, now.Add(-10*24*time.Hour))
	cutoff := now.Add(-90 * 24 * time.Hour)

	c, err := events.ClearClientData(ctx, db.Pool, events.Position{}, cutoff, 2)
	require.NoError(t, err)
	assert.Equal(t, events.Chunk{Last: old[1], Passed: 2, Changed: 2}, c)
	c, err = events.ClearClientData(ctx, db.Pool, c.Last, cutoff, 2)
	require.NoError(t, err)
	assert.Equal(t, events.Chunk{Last: old[3], Passed: 2, Changed: 2}, c)
	c, err = events.ClearClientData(ctx, db.Pool, c.Last, cutoff, 2)
	require.NoError(t, err)
	assert.Equal(t, events.Chunk{Last: old[4], Passed: 1, Changed: 1, Done: true}, c, "stops at the first young event")
	c, err = events.ClearClientData(ctx, db.Pool, c.Last, cutoff, 2)
	require.NoError(t, err)
	assert.Equal(t, events.Chunk{Last: old[4], Done: true}, c, "nothing further")

	var cleared, kept int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE ip IS NULL AND user_agent IS NULL),
		count(*) FILTER (WHERE ip = '192.0.2.1' AND user_agent = 'Mail') FROM events`).Scan(&cleared, &kept))
	assert.Equal(t, 5, cleared)
	assert.Equal(t, 3, kept)
}

func TestDeleteOldWaitsForFeedReaders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	old := aged(t, db, 4, now.Add(-800*24*time.Hour))
	young := aged(t, db, 2, now.Add(-24*time.Hour))
	cutoff := now.Add(-730 * 24 * time.Hour)

	// The engagement reader has read the first two old events only.
	_, err := db.Pool.Exec(ctx, `UPDATE feed_cursors SET tx = e.tx, id = e.id FROM events e WHERE e.id = $1`, old[1].ID)
	require.NoError(t, err)
	c, held, err := events.DeleteOld(ctx, db.Pool, cutoff, 100)
	require.NoError(t, err)
	assert.Equal(t, events.Chunk{Last: old[1], Passed: 2, Changed: 2, Done: true}, c)
	assert.True(t, held, "unread old events stay")

	_, err = db.Pool.Exec(ctx, `UPDATE feed_cursors SET tx = e.tx, id = e.id FROM events e WHERE e.id = $1`, young[1].ID)
	require.NoError(t, err)
	c, held, err = events.DeleteOld(ctx, db.Pool, cutoff, 1)
	require.NoError(t, err)
	assert.Equal(t, events.Chunk{Last: old[2], Passed: 1, Changed: 1}, c, "one per chunk")
	assert.False(t, held)
	c, held, err = events.DeleteOld(ctx, db.Pool, cutoff, 100)
	require.NoError(t, err)
	assert.Equal(t, events.Chunk{Last: old[3], Passed: 1, Changed: 1, Done: true}, c)
	assert.False(t, held)

	left := positions(t, db, `SELECT tx, id FROM events ORDER BY tx, id`)
	assert.Equal(t, young, left, "young events stay")
}
