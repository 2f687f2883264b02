package engagement

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
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
const lockCursorSQL = `SELECT tx::text, id FROM feed_cursors WHERE name = $1 FOR UPDATE`

// foldBatch folds one batch in one transaction with the cursor.
func (f *Folder) foldBatch(ctx context.Context) (events, contacts int64, err error) {
	now := f.now()
	err = pg.InTx(ctx, f.db, func(tx pgx.Tx) error {
		var curTx string
		var curID int64
		if err := tx.QueryRow(ctx, lockCursorSQL, cursorName).Scan(&curTx, &curID); err != nil {
			return fmt.Errorf("engagement: fold: cursor: %w", err)
		}
		if _, err := strconv.ParseUint(curTx, 10, 64); err != nil {
			return fmt.Errorf("engagement: fold: cursor tx %q: %w", curTx, err)
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
const foldSQL = `
WITH batch AS MATERIALIZED (
    SELECT tx, id, type, occurred_at, contact_id, machine
    FROM events
    WHERE (tx, id) > ($1::text::xid8, $2::bigint)
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
), days AS (
    INSERT INTO contact_engagement_days AS d (contact_id, day, sends, opens, clicks)
    SELECT contact_id, day, sends, opens, clicks FROM per_day
    ON CONFLICT (contact_id, day) DO UPDATE
       SET sends = d.sends + excluded.sends, opens = d.opens + excluded.opens, clicks = d.clicks + excluded.clicks
), rollup AS (
    INSERT INTO contact_engagement AS ce (contact_id, last_sent_at, last_open_at, last_click_at,
                                          last_unsubscribe_at, windows_day, score, score_at, updated_at)
    SELECT contact_id, last_sent, last_open, last_click, last_unsubscribe, NULL, score, $4, $4
    FROM per_contact
    ON CONFLICT (contact_id) DO UPDATE SET
        last_sent_at        = greatest(ce.last_sent_at, excluded.last_sent_at),
        last_open_at        = greatest(ce.last_open_at, excluded.last_open_at),
        last_click_at       = greatest(ce.last_click_at, excluded.last_click_at),
        last_unsubscribe_at = greatest(ce.last_unsubscribe_at, excluded.last_unsubscribe_at),
        windows_day         = NULL, -- stale: recomputed by the window pass
        score               = engagement_score(ce.score, ce.score_at, excluded.score_at) + excluded.score,
        score_at            = greatest(ce.score_at, excluded.score_at),
        updated_at          = excluded.updated_at
), moved AS (
    UPDATE feed_cursors f SET tx = l.tx, id = l.id, updated_at = $4
    FROM (SELECT tx, id FROM batch ORDER BY tx DESC, id DESC LIMIT 1) l
    WHERE f.name = $5
)
SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM per_contact)`
