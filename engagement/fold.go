package engagement

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/internal/pg"
)

// Weights and half-life of the score (see the package documentation). They live in SQL (the
// weights in foldSQL, the half-life in engagement_score of migration 00006); these constants
// state them for Go code, and the tests hold the two equal.
const (
	OpenWeight  = 1.0
	ClickWeight = 3.0
	HalfLife    = 30 * 24 * time.Hour
)

// cursorName is the folder's row in feed_cursors.
const cursorName = "engagement"

// Folder folds the event feed into the rollups.
type Folder struct {
	db     *pgxpool.Pool
	now    func() time.Time
	logger *slog.Logger
	cfg    FolderConfig
}

// FolderConfig tunes a Folder.
type FolderConfig struct {
	// Batch is how many events one transaction folds (default 20,000): large enough that the
	// per-statement cost is small, small enough that the transaction (which holds the feed's
	// horizon back while it runs) stays short.
	Batch int
	// WindowChunk is how many rows one window recomputation updates (default 10,000).
	WindowChunk int
	Now         func() time.Time // the clock (default time.Now)
	Logger      *slog.Logger
}

// NewFolder returns a Folder over db.
func NewFolder(db *pgxpool.Pool, cfg FolderConfig) *Folder {
	if cfg.Batch <= 0 {
		cfg.Batch = 20000
	}
	if cfg.WindowChunk <= 0 {
		cfg.WindowChunk = 10000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Folder{db: db, now: cfg.Now, logger: cfg.Logger, cfg: cfg}
}

// Result is what a Run did.
type Result struct {
	Events   int64 // events read from the feed (of every type)
	Contacts int64 // contacts whose rollup a batch changed
	Windows  int64 // rows whose window counts were recomputed
}

// Run folds every event up to the feed's horizon, then recomputes the windows that are stale
// (touched, or of an earlier day). It stops early, with what it did, when ctx ends.
func (f *Folder) Run(ctx context.Context) (Result, error) {
	var r Result
	for {
		events, contacts, err := f.foldBatch(ctx)
		r.Events += events
		r.Contacts += contacts
		if err != nil {
			return r, err
		}
		if events < int64(f.cfg.Batch) {
			break
		}
	}
	for {
		n, err := f.refreshWindows(ctx)
		r.Windows += n
		if err != nil {
			return r, err
		}
		if n < int64(f.cfg.WindowChunk) {
			break
		}
	}
	if r.Events > 0 || r.Windows > 0 {
		f.logger.Info("engagement: folded", "events", r.Events, "contacts", r.Contacts, "windows", r.Windows)
	}
	return r, nil
}

// lockCursorSQL serialises folders: the second waits here, then reads the cursor the first left.
const lockCursorSQL = `SELECT tx, id FROM feed_cursors WHERE name = $1 FOR UPDATE`

// foldBatch folds one batch in one transaction with the cursor.
func (f *Folder) foldBatch(ctx context.Context) (events, contacts int64, err error) {
	now := f.now()
	err = pg.InTx(ctx, f.db, func(tx pgx.Tx) error {
		var curTx uint64
		var curID int64
		if err := tx.QueryRow(ctx, lockCursorSQL, cursorName).Scan(&curTx, &curID); err != nil {
			return fmt.Errorf("engagement: fold: cursor: %w", err)
		}
		err := tx.QueryRow(ctx, foldSQL, curTx, curID, f.cfg.Batch, now, cursorName).Scan(&events, &contacts)
		if err != nil {
			return fmt.Errorf("engagement: fold: %w", err)
		}
		return nil
	})
	return events, contacts, err
}

// foldSQL folds the batch after the cursor ($1, $2) up to the horizon, at most $3 events, at
// time $4, and moves the cursor ($5) to its last event. One statement: its parts see the same
// batch, and none sees another's writes, so each part reads `relevant`, never the tables it
// changes. Opens and clicks by machines are not counted; events of contacts that no longer exist
// are passed over (the join with contacts), since the rollups reference contacts.
//
// Window counts are kept current where that is a sum: a row whose counts are as of today ($4's
// UTC day) gets the batch's events that fall in its windows added; a parked row (all zero) gets
// them as its counts; a new row gets them too, since a contact's day buckets are only ever written
// here beside its rollup row (and both go with the contact). Only a row as of an earlier day is
// marked stale for the window pass, which must then recompute it from the day buckets. A large
// send, whose every contact gets a 'sent' event, so costs the window pass nothing for contacts
// folded earlier the same day or never before.
const foldSQL = `
WITH batch AS MATERIALIZED (
    SELECT tx, id, type, occurred_at, contact_id, machine
    FROM events
    WHERE (tx, id) > ($1::xid8, $2::bigint)
      AND tx < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
    ORDER BY tx, id
    LIMIT $3
), relevant AS (
    SELECT b.contact_id, b.type, b.occurred_at
    FROM batch b JOIN contacts c ON c.id = b.contact_id
    WHERE b.type IN ('sent', 'unsubscribe') OR (b.type IN ('open', 'click') AND NOT b.machine)
), per_contact AS (
    SELECT contact_id,
           max(occurred_at) FILTER (WHERE type = 'sent') AS last_sent,
           max(occurred_at) FILTER (WHERE type = 'open') AS last_open,
           max(occurred_at) FILTER (WHERE type = 'click') AS last_click,
           max(occurred_at) FILTER (WHERE type = 'unsubscribe') AS last_unsubscribe,
           sum(CASE type WHEN 'open' THEN 1 WHEN 'click' THEN 3 ELSE 0 END -- OpenWeight, ClickWeight
               * engagement_score(1, occurred_at, $4::timestamptz)) AS score
    FROM relevant
    GROUP BY contact_id
), per_day AS (
    SELECT contact_id, (occurred_at AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE type = 'sent') AS sends,
           count(*) FILTER (WHERE type = 'open') AS opens,
           count(*) FILTER (WHERE type = 'click') AS clicks
    FROM relevant
    WHERE type <> 'unsubscribe'
    GROUP BY 1, 2
), per_window AS (
    SELECT contact_id,
           sum(sends)  FILTER (WHERE day > ($4::timestamptz AT TIME ZONE 'UTC')::date - 30)::integer AS sends_30d,
           sum(sends)::integer                                                                   AS sends_90d,
           sum(opens)  FILTER (WHERE day > ($4::timestamptz AT TIME ZONE 'UTC')::date - 30)::integer AS opens_30d,
           sum(opens)::integer                                                                   AS opens_90d,
           sum(clicks) FILTER (WHERE day > ($4::timestamptz AT TIME ZONE 'UTC')::date - 30)::integer AS clicks_30d,
           sum(clicks)::integer                                                                  AS clicks_90d
    FROM per_day
    WHERE day > ($4::timestamptz AT TIME ZONE 'UTC')::date - 90
    GROUP BY contact_id
), days AS (
    INSERT INTO contact_engagement_days AS d (contact_id, day, sends, opens, clicks)
    SELECT contact_id, day, sends, opens, clicks FROM per_day
    ON CONFLICT (contact_id, day) DO UPDATE
       SET sends = d.sends + excluded.sends, opens = d.opens + excluded.opens, clicks = d.clicks + excluded.clicks
), rollup AS (
    INSERT INTO contact_engagement AS ce (contact_id, last_sent_at, last_open_at, last_click_at,
                                          last_unsubscribe_at, sends_30d, sends_90d, opens_30d, opens_90d,
                                          clicks_30d, clicks_90d, windows_day, score, score_at, updated_at)
    SELECT p.contact_id, p.last_sent, p.last_open, p.last_click, p.last_unsubscribe,
           coalesce(w.sends_30d, 0), coalesce(w.sends_90d, 0), coalesce(w.opens_30d, 0),
           coalesce(w.opens_90d, 0), coalesce(w.clicks_30d, 0), coalesce(w.clicks_90d, 0),
           ($4::timestamptz AT TIME ZONE 'UTC')::date, p.score, $4, $4
    FROM per_contact p LEFT JOIN per_window w ON w.contact_id = p.contact_id
    ON CONFLICT (contact_id) DO UPDATE SET
        last_sent_at        = greatest(ce.last_sent_at, excluded.last_sent_at),
        last_open_at        = greatest(ce.last_open_at, excluded.last_open_at),
        last_click_at       = greatest(ce.last_click_at, excluded.last_click_at),
        last_unsubscribe_at = greatest(ce.last_unsubscribe_at, excluded.last_unsubscribe_at),
        sends_30d           = CASE WHEN ce.windows_day = excluded.windows_day THEN ce.sends_30d + excluded.sends_30d
                                   WHEN ce.windows_day = 'infinity' THEN excluded.sends_30d ELSE ce.sends_30d END,
        sends_90d           = CASE WHEN ce.windows_day = excluded.windows_day THEN ce.sends_90d + excluded.sends_90d
                                   WHEN ce.windows_day = 'infinity' THEN excluded.sends_90d ELSE ce.sends_90d END,
        opens_30d           = CASE WHEN ce.windows_day = excluded.windows_day THEN ce.opens_30d + excluded.opens_30d
                                   WHEN ce.windows_day = 'infinity' THEN excluded.opens_30d ELSE ce.opens_30d END,
        opens_90d           = CASE WHEN ce.windows_day = excluded.windows_day THEN ce.opens_90d + excluded.opens_90d
                                   WHEN ce.windows_day = 'infinity' THEN excluded.opens_90d ELSE ce.opens_90d END,
        clicks_30d          = CASE WHEN ce.windows_day = excluded.windows_day THEN ce.clicks_30d + excluded.clicks_30d
                                   WHEN ce.windows_day = 'infinity' THEN excluded.clicks_30d ELSE ce.clicks_30d END,
        clicks_90d          = CASE WHEN ce.windows_day = excluded.windows_day THEN ce.clicks_90d + excluded.clicks_90d
                                   WHEN ce.windows_day = 'infinity' THEN excluded.clicks_90d ELSE ce.clicks_90d END,
        windows_day         = CASE WHEN ce.windows_day IN (excluded.windows_day, 'infinity') THEN excluded.windows_day
                                   END, -- else stale: recomputed by the window pass
        score               = engagement_score(ce.score, ce.score_at, excluded.score_at) + excluded.score,
        score_at            = greatest(ce.score_at, excluded.score_at),
        updated_at          = excluded.updated_at
), moved AS (
    UPDATE feed_cursors f SET tx = l.tx, id = l.id, updated_at = $4
    FROM (SELECT tx, id FROM batch ORDER BY tx DESC, id DESC LIMIT 1) l
    WHERE f.name = $5
)
SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM per_contact)`
