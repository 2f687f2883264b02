package events

import (
	"context"
	"fmt"
	"time"

	"github.com/kirje/kirje/internal/pg"
)

// Retention works through the table in feed order (tx, id), the primary key, a chunk per
// statement, and stops at the first event that must stay. That order follows the order events
// were stored (recorded_at) closely enough: a chunk never reaches past the first event recorded
// at or after the cut-off, so an event stored late in that order waits for the next run at
// worst. Walking the primary key needs no index on the times, which every insert would pay for.

// Position is an event's place in feed order: its writing transaction (events.tx, an xid8, which
// pgx reads and writes as a uint64) and its ID. The zero Position is before every event.
type Position struct {
	Tx uint64
	ID int64
}

// clearClientDataSQL clears IP addresses and user agents in the chunk of events after ($1, $2)
// up to (not including) the first one recorded at or after $3.
const clearClientDataSQL = `
WITH chunk AS (
    SELECT tx, id, recorded_at FROM events
    WHERE (tx, id) > ($1::xid8, $2::bigint)
    ORDER BY tx, id LIMIT $4
), young AS (
    SELECT tx, id FROM chunk WHERE recorded_at >= $3 ORDER BY tx, id LIMIT 1
), passed AS (
    SELECT c.tx, c.id FROM chunk c
    WHERE NOT EXISTS (SELECT 1 FROM young y WHERE (c.tx, c.id) >= (y.tx, y.id))
), cleared AS (
    UPDATE events e SET ip = NULL, user_agent = NULL
    FROM passed p
    WHERE (e.tx, e.id) = (p.tx, p.id) AND (e.ip IS NOT NULL OR e.user_agent IS NOT NULL)
    RETURNING 1
), last AS (
    SELECT tx, id FROM passed ORDER BY tx DESC, id DESC LIMIT 1
)
SELECT coalesce((SELECT tx FROM last), $1::xid8), coalesce((SELECT id FROM last), $2::bigint),
       (SELECT count(*) FROM passed), (SELECT count(*) FROM cleared)`

// Chunk is what one retention statement did.
type Chunk struct {
	Last    Position // the last event passed (the given position when none was)
	Passed  int64    // events passed: old enough, whatever they held
	Changed int64    // events changed (cleared or deleted)
	// Done: the chunk stopped before its limit, at an event that must stay or at the end of the
	// table; the next chunk would find nothing to do.
	Done bool
}

// ClearClientData removes the IP address and user agent of up to limit events after `after` (in
// feed order) that were recorded before `before`, stopping at the first event recorded later.
// The caller keeps Last as the `after` of its next call (package privacy keeps it between runs).
func ClearClientData(ctx context.Context, db pg.DBTX, after Position, before time.Time, limit int) (Chunk, error) {
	var c Chunk
	err := db.QueryRow(ctx, clearClientDataSQL, after.Tx, after.ID, before, limit).Scan(&c.Last.Tx, &c.Last.ID, &c.Passed, &c.Changed)
	if err != nil {
		return Chunk{}, fmt.Errorf("events: clear client data: %w", err)
	}
	c.Done = c.Passed < int64(limit)
	return c, nil
}

// deleteOldSQL deletes the oldest chunk of events up to (not including) the first one that must
// stay: recorded at or after $1, or not yet read by every feed reader inside Kirje (a cursor in
// feed_cursors, e.g. the engagement rollups, has (tx, id) below the event's).
const deleteOldSQL = `
WITH chunk AS (
    SELECT tx, id, recorded_at >= $1 AS young,
           EXISTS (SELECT 1 FROM feed_cursors f WHERE (e.tx, e.id) > (f.tx, f.id)) AS unread
    FROM events e ORDER BY tx, id LIMIT $2
), keep AS (
    SELECT tx, id FROM chunk WHERE young OR unread ORDER BY tx, id LIMIT 1
), gone AS (
    DELETE FROM events e USING chunk c
    WHERE (e.tx, e.id) = (c.tx, c.id)
      AND NOT EXISTS (SELECT 1 FROM keep k WHERE (c.tx, c.id) >= (k.tx, k.id))
    RETURNING e.tx, e.id
), last AS (
    SELECT tx, id FROM gone ORDER BY tx DESC, id DESC LIMIT 1
)
SELECT coalesce((SELECT tx FROM last), '0'::xid8), coalesce((SELECT id FROM last), 0),
       (SELECT count(*) FROM gone), EXISTS (SELECT 1 FROM chunk WHERE NOT young AND unread)`

// DeleteOld deletes up to limit of the oldest events, in feed order, that were recorded before
// `before` and that every feed reader inside Kirje (feed_cursors) has passed, stopping at the
// first that is younger or unread. heldBack reports that an old enough event stopped it because a
// reader has not reached it yet (a stalled reader keeps events from being deleted, rather than
// losing what it has yet to fold). Feed consumers outside Kirje (webhook subscriptions, API
// readers) that are further behind than the retention lose what is deleted.
func DeleteOld(ctx context.Context, db pg.DBTX, before time.Time, limit int) (c Chunk, heldBack bool, err error) {
	if err := db.QueryRow(ctx, deleteOldSQL, before, limit).Scan(&c.Last.Tx, &c.Last.ID, &c.Changed, &heldBack); err != nil {
		return Chunk{}, false, fmt.Errorf("events: delete old: %w", err)
	}
	c.Passed = c.Changed
	c.Done = c.Changed < int64(limit)
	return c, heldBack, nil
}
