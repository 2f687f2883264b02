package events

import (
	"context"
	"fmt"
	"time"

	"github.com/kirje/kirje/internal/pg"
)

// Retention works through the table in ID order, a chunk per statement, and stops at the first
// event that must stay. IDs follow the order events were stored (recorded_at) closely enough:
// a chunk never reaches past the first event recorded at or after the cut-off, so an event
// stored late with an old ID waits for the next run at worst. Walking the primary key needs no
// index on the times, which every insert would pay for.

// maxID is the largest bigint, standing for "no bound".
const maxID = "9223372036854775807"

// clearClientDataSQL clears IP addresses and user agents in the chunk of events after $1 up to
// (not including) the first one recorded at or after $2.
const clearClientDataSQL = `
WITH chunk AS (
    SELECT id, recorded_at FROM events WHERE id > $1 ORDER BY id LIMIT $3
), bound AS (
    SELECT coalesce(min(id) FILTER (WHERE recorded_at >= $2), ` + maxID + `) AS young FROM chunk
), passed AS (
    SELECT c.id FROM chunk c, bound b WHERE c.id < b.young
), cleared AS (
    UPDATE events e SET ip = NULL, user_agent = NULL
    FROM passed p
    WHERE e.id = p.id AND (e.ip IS NOT NULL OR e.user_agent IS NOT NULL)
    RETURNING 1
)
SELECT coalesce((SELECT max(id) FROM passed), $1), (SELECT count(*) FROM passed),
       (SELECT count(*) FROM cleared)`

// Chunk is what one retention statement did.
type Chunk struct {
	LastID  int64 // the last event ID passed (the given afterID when none was)
	Passed  int64 // events passed: old enough, whatever they held
	Changed int64 // events changed (cleared or deleted)
	// Done: the chunk stopped before its limit, at an event that must stay or at the end of the
	// table; the next chunk would find nothing to do.
	Done bool
}

// ClearClientData removes the IP address and user agent of up to limit events after afterID (in
// ID order) that were recorded before `before`, stopping at the first event recorded later. The
// caller keeps LastID as the afterID of its next call (package privacy keeps it between runs).
func ClearClientData(ctx context.Context, db pg.DBTX, afterID int64, before time.Time, limit int) (Chunk, error) {
	var c Chunk
	if err := db.QueryRow(ctx, clearClientDataSQL, afterID, before, limit).Scan(&c.LastID, &c.Passed, &c.Changed); err != nil {
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
    SELECT id, tx, recorded_at FROM events ORDER BY id LIMIT $2
), bound AS (
    SELECT coalesce(min(id) FILTER (WHERE recorded_at >= $1
                                       OR EXISTS (SELECT 1 FROM feed_cursors f WHERE (chunk.tx, chunk.id) > (f.tx, f.id))),
                    ` + maxID + `) AS keep,
           min(id) FILTER (WHERE recorded_at < $1
                             AND EXISTS (SELECT 1 FROM feed_cursors f WHERE (chunk.tx, chunk.id) > (f.tx, f.id))) AS unread
    FROM chunk
), gone AS (
    DELETE FROM events e USING bound b
    WHERE e.id IN (SELECT id FROM chunk) AND e.id < b.keep
    RETURNING e.id
)
SELECT coalesce((SELECT max(id) FROM gone), 0), (SELECT count(*) FROM gone), (SELECT unread IS NOT NULL FROM bound)`

// DeleteOld deletes up to limit of the oldest events, in ID order, that were recorded before
// `before` and that every feed reader inside Kirje (feed_cursors) has passed, stopping at the
// first that is younger or unread. heldBack reports that an old enough event stopped it because a
// reader has not reached it yet (a stalled reader keeps events from being deleted, rather than
// losing what it has yet to fold). Feed consumers outside Kirje (webhook subscriptions, API
// readers) that are further behind than the retention lose what is deleted.
func DeleteOld(ctx context.Context, db pg.DBTX, before time.Time, limit int) (c Chunk, heldBack bool, err error) {
	if err := db.QueryRow(ctx, deleteOldSQL, before, limit).Scan(&c.LastID, &c.Changed, &heldBack); err != nil {
		return Chunk{}, false, fmt.Errorf("events: delete old: %w", err)
	}
	c.Passed = c.Changed
	c.Done = c.Changed < int64(limit)
	return c, heldBack, nil
}
