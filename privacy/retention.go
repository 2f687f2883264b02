package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
)

// TypeRetention is the retention task's type. Register exactly this name with its handler.
const TypeRetention = "privacy:retention"

// DefaultRetentionChunk is how many events one retention statement handles.
const DefaultRetentionChunk = 5000

// RetentionConfig says how long events keep what. A zero age keeps it for ever.
type RetentionConfig struct {
	// ClientDataAge: events stored longer ago lose their IP address and user agent.
	ClientDataAge time.Duration
	// EventAge: events stored longer ago are deleted (once every feed reader inside Kirje has
	// read them). Campaign counts in the send ledger and the per-contact engagement rollups are
	// other tables and stay.
	EventAge time.Duration
	Chunk    int              // events per statement; 0: DefaultRetentionChunk
	Logger   *slog.Logger     // nil discards
	Now      func() time.Time // nil: time.Now
}

// Retention applies RetentionConfig: Run once, or as the TypeRetention task.
type Retention struct {
	db  *pgxpool.Pool
	cfg RetentionConfig
}

// NewRetention returns a Retention on db.
func NewRetention(db *pgxpool.Pool, cfg RetentionConfig) *Retention {
	if cfg.Chunk <= 0 {
		cfg.Chunk = DefaultRetentionChunk
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Retention{db: db, cfg: cfg}
}

// NewRetentionTask returns the periodic task for queue (the worker's background queue: namespace
// + worker.QueueBackground). It is unique for 30 minutes, so several worker processes' schedulers
// enqueue it once, and a run that is still going is not joined by another.
func NewRetentionTask(queue string) *asynq.Task {
	return asynq.NewTask(TypeRetention, nil, asynq.Queue(queue), asynq.Unique(30*time.Minute),
		asynq.MaxRetry(3), asynq.Timeout(30*time.Minute))
}

// RetentionResult counts what a run did.
type RetentionResult struct {
	ClientDataCleared int64 `json:"client_data_cleared"` // events whose IP and user agent were removed
	EventsDeleted     int64 `json:"events_deleted"`
	// HeldBack: old enough events stayed because a feed reader has not read them yet.
	HeldBack bool `json:"held_back"`
}

// ProcessTask is the asynq handler of TypeRetention.
func (r *Retention) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	_, err := r.Run(ctx)
	return err
}

// Run applies the retention once, chunk by chunk until nothing is left to do or ctx ends. Each
// chunk commits on its own, so a cancelled run keeps what it did and the next continues.
func (r *Retention) Run(ctx context.Context) (RetentionResult, error) {
	var res RetentionResult
	now := r.cfg.Now()
	if r.cfg.ClientDataAge > 0 {
		n, err := r.clearClientData(ctx, now.Add(-r.cfg.ClientDataAge))
		res.ClientDataCleared = n
		if err != nil {
			return res, fmt.Errorf("privacy: retention: %w", err)
		}
	}
	if r.cfg.EventAge > 0 {
		n, held, err := r.deleteEvents(ctx, now.Add(-r.cfg.EventAge))
		res.EventsDeleted, res.HeldBack = n, held
		if err != nil {
			return res, fmt.Errorf("privacy: retention: %w", err)
		}
	}
	if res.HeldBack {
		r.cfg.Logger.WarnContext(ctx, "privacy: retention: old events kept until every feed reader has read them (is the engagement reader running?)")
	}
	r.cfg.Logger.InfoContext(ctx, "privacy: retention done", "client_data_cleared", res.ClientDataCleared,
		"events_deleted", res.EventsDeleted)
	return res, nil
}

const (
	bookmarkClientData = "events_client_data"
	readBookmarkSQL    = `SELECT last_tx, last_id FROM retention_state WHERE name = $1`
	writeBookmarkSQL   = `
INSERT INTO retention_state (name, last_tx, last_id, updated_at) VALUES ($1, $2::xid8, $3, now())
ON CONFLICT (name) DO UPDATE SET last_tx = excluded.last_tx, last_id = excluded.last_id, updated_at = excluded.updated_at`
)

// clearClientData works forward from where the last run stopped (retention_state), so each event
// is passed once in its life, and saves the new position with every chunk.
func (r *Retention) clearClientData(ctx context.Context, before time.Time) (int64, error) {
	var (
		after events.Position
		total int64
	)
	err := r.db.QueryRow(ctx, readBookmarkSQL, bookmarkClientData).Scan(&after.Tx, &after.ID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	for ctx.Err() == nil {
		var c events.Chunk
		err := pg.InTx(ctx, r.db, func(tx pgx.Tx) error {
			var err error
			if c, err = events.ClearClientData(ctx, tx, after, before, r.cfg.Chunk); err != nil || c.Passed == 0 {
				return err
			}
			_, err = tx.Exec(ctx, writeBookmarkSQL, bookmarkClientData, c.Last.Tx, c.Last.ID)
			return err
		})
		if err != nil {
			return total, err
		}
		total, after = total+c.Changed, c.Last
		if c.Done {
			return total, nil
		}
	}
	return total, ctx.Err()
}

func (r *Retention) deleteEvents(ctx context.Context, before time.Time) (total int64, held bool, err error) {
	for ctx.Err() == nil {
		c, h, err := events.DeleteOld(ctx, r.db, before, r.cfg.Chunk)
		if err != nil {
			return total, held, err
		}
		total, held = total+c.Changed, h
		if c.Done {
			return total, held, nil
		}
	}
	return total, held, ctx.Err()
}
