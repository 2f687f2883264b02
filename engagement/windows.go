package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// windowsSQL recomputes the 30- and 90-day counts of up to $2 stale rows as of UTC day $1: rows
// touched since their last recomputation (NULL) first, then rows of an earlier day, both found
// through contact_engagement_windows_idx. SKIP LOCKED leaves rows another transaction holds (an
// erasure in progress) to the next pass; folds are kept out by the cursor lock (refreshWindows). Day buckets too old for any window are pruned for the same contacts. A row whose
// counts are all zero is parked at 'infinity': nothing changes for it until new events arrive.
const windowsSQL = `
WITH stale AS (
    SELECT contact_id FROM contact_engagement
    WHERE windows_day IS NULL OR windows_day < $1::date
    ORDER BY windows_day NULLS FIRST
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), counts AS (
    SELECT s.contact_id,
           coalesce(sum(d.sends)  FILTER (WHERE d.day > $1::date - 30), 0) AS sends_30d,
           coalesce(sum(d.sends), 0)                                      AS sends_90d,
           coalesce(sum(d.opens)  FILTER (WHERE d.day > $1::date - 30), 0) AS opens_30d,
           coalesce(sum(d.opens), 0)                                      AS opens_90d,
           coalesce(sum(d.clicks) FILTER (WHERE d.day > $1::date - 30), 0) AS clicks_30d,
           coalesce(sum(d.clicks), 0)                                     AS clicks_90d
    FROM stale s
    LEFT JOIN contact_engagement_days d ON d.contact_id = s.contact_id AND d.day > $1::date - 90
    GROUP BY s.contact_id
), pruned AS (
    DELETE FROM contact_engagement_days d USING stale s
    WHERE d.contact_id = s.contact_id AND d.day <= $1::date - 90
)
UPDATE contact_engagement ce
SET sends_30d = c.sends_30d, sends_90d = c.sends_90d, opens_30d = c.opens_30d,
    opens_90d = c.opens_90d, clicks_30d = c.clicks_30d, clicks_90d = c.clicks_90d,
    windows_day = CASE WHEN c.sends_90d + c.opens_90d + c.clicks_90d = 0 THEN 'infinity'::date ELSE $1::date END
FROM counts c
WHERE ce.contact_id = c.contact_id`

// refreshWindows recomputes one chunk of stale windows and returns how many rows it updated.
//
// It holds the fold cursor's lock, as a fold does. Otherwise a fold could commit after this
// statement's snapshot and before it locks a row the fold touched: the row would pass the
// staleness recheck, get counts summed without that fold's day buckets, and be marked as of
// today, and later folds only add to counts as of today. Under the lock the statement's snapshot
// (taken after the lock is granted) holds every committed fold, and none can commit meanwhile.
func (f *Folder) refreshWindows(ctx context.Context) (int64, error) {
	var n int64
	err := pg.InTx(ctx, f.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockCursorSQL, cursorName); err != nil {
			return fmt.Errorf("cursor: %w", err)
		}
		tag, err := tx.Exec(ctx, windowsSQL, utcDay(f.now()), f.cfg.WindowChunk)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("engagement: windows: %w", err)
	}
	return n, nil
}

// utcDay is t's UTC calendar day as midnight UTC, the form PostgreSQL's date takes.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
