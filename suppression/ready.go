package suppression

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// EnsureReady returns once the mirror is ready for the Redis process now serving: at once when
// it is, after a Rebuild when it is not, or after waiting for another process's rebuild. It
// returns an error wrapping ErrUnavailable when Redis cannot be reached, and ctx's error when ctx
// ends first.
func (l *List) EnsureReady(ctx context.Context) error {
	wait := 100 * time.Millisecond
	for {
		ready, err := l.isReady(ctx)
		if err != nil {
			return fmt.Errorf("suppression: ensure ready: %w", err)
		}
		if ready {
			return nil
		}
		_, _, err = l.rebuild(ctx, true)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrRebuildInProgress) {
			return err
		}
		// Another process is rebuilding: look again shortly, not in a tight loop.
		select {
		case <-ctx.Done():
			return fmt.Errorf("suppression: ensure ready: %w", ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// Verify compares the mirror with PostgreSQL and rebuilds it when they differ, reporting whether
// it was stale. A mirror that is not ready counts as stale and is rebuilt through EnsureReady.
//
// It compares counts (count(*) against SCARD), and when they agree it also looks up a random
// sample of entries (about verifySample) in the mirror: the counts can agree while the mirror
// lacks members it should have (under-suppression, the dangerous way) and holds others instead.
// The counts can differ for a moment while an Add is between its mirror write and its commit,
// and a sampled entry can be missing for a moment while a Remove is between its commit and its
// mirror write, so either finding is confirmed under the exclusive barrier, where no Add is in
// flight, before rebuilding. What remains is real: members of rolled-back or failed transactions
// (over-suppression), members lost by Redis (under-suppression), or removals the mirror missed.
func (l *List) Verify(ctx context.Context) (stale bool, err error) {
	defer l.stats.verifications.Add(1)
	ready, err := l.isReady(ctx)
	if err != nil {
		return false, fmt.Errorf("suppression: verify: %w", err)
	}
	if !ready {
		return true, l.EnsureReady(ctx)
	}
	rows, members, err := l.counts(ctx)
	if err != nil {
		return false, err
	}
	var missing []Entry
	if rows == members {
		if missing, err = l.missingFromSample(ctx, rows); err != nil || len(missing) == 0 {
			return false, err
		}
	}
	err = l.barrier(ctx, func(tx pgx.Tx) error {
		if rows, members, err = l.countsIn(ctx, tx); err != nil || rows != members {
			return err
		}
		missing, err = l.stillMissing(ctx, tx, missing)
		return err
	})
	if err != nil || (rows == members && len(missing) == 0) {
		return false, err
	}
	l.log.WarnContext(ctx, "suppression: mirror differs from PostgreSQL, rebuilding",
		"rows", rows, "members", members, "sampled_entries_missing", len(missing))
	if _, err := l.Rebuild(ctx); err != nil && !errors.Is(err, ErrRebuildInProgress) {
		return true, err
	}
	return true, nil
}

func (l *List) counts(ctx context.Context) (rows, members int64, err error) {
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("suppression: verify: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return l.countsIn(ctx, tx)
}

func (l *List) countsIn(ctx context.Context, tx pgx.Tx) (rows, members int64, err error) {
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM suppressions`).Scan(&rows); err != nil {
		return 0, 0, fmt.Errorf("suppression: verify: count: %w", err)
	}
	if members, err = l.rdb.SCard(ctx, l.keys.set).Result(); err != nil {
		return 0, 0, fmt.Errorf("suppression: verify: %w: %w", ErrUnavailable, err)
	}
	return rows, members - 1, nil // less the ready marker
}

// verifySample is about how many entries Verify looks up in the mirror when the counts agree, and
// the most it looks up. (SYSTEM sampling of verifySample's share of the pages yields about that
// many rows whether the pages are full or not.)
const verifySample = 512

// sampleSQL takes $1 per cent of the table's pages, at random (SYSTEM sampling reads whole pages,
// so it costs that fraction of a scan), and at most $2 rows of them.
const sampleSQL = `SELECT ` + entryColumns + ` FROM suppressions TABLESAMPLE SYSTEM ($1::float4) LIMIT $2`

// entriesByIDSQL reads the entries of the given IDs that are still in the table.
const entriesByIDSQL = `SELECT ` + entryColumns + ` FROM suppressions WHERE id = ANY($1)`

// missingFromSample returns the entries of a random sample of the table that the mirror lacks.
func (l *List) missingFromSample(ctx context.Context, rows int64) ([]Entry, error) {
	if rows == 0 {
		return nil, nil
	}
	pct := min(100, verifySample*100/float64(rows))
	return l.notMirroredOf(ctx, l.pool, sampleSQL, pct, verifySample)
}

// stillMissing returns those of entries that are still in the table and still not mirrored.
func (l *List) stillMissing(ctx context.Context, tx pgx.Tx, entries []Entry) ([]Entry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	return l.notMirroredOf(ctx, tx, entriesByIDSQL, ids)
}

// notMirroredOf returns the entries a query (of entryColumns) reads that the mirror lacks.
func (l *List) notMirroredOf(ctx context.Context, db pg.DBTX, sql string, args ...any) ([]Entry, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("suppression: verify: %w", err)
	}
	entries, err := collectEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("suppression: verify: %w", err)
	}
	return l.notMirrored(ctx, entries)
}

// notMirrored returns the entries whose members the mirror does not hold.
func (l *List) notMirrored(ctx context.Context, entries []Entry) ([]Entry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	members := make([]any, len(entries))
	for i, e := range entries {
		members[i] = entryMember(e)
	}
	found, err := l.rdb.SMIsMember(ctx, l.keys.set, members...).Result()
	if err != nil {
		return nil, fmt.Errorf("suppression: verify: %w: %w", ErrUnavailable, err)
	}
	var missing []Entry
	for i, ok := range found {
		if !ok {
			missing = append(missing, entries[i])
		}
	}
	return missing, nil
}

// Run keeps the mirror ready until ctx ends, for the worker: it runs Verify (which rebuilds an
// unready or differing mirror) at once, every VerifyInterval, and as soon as a Check finds the
// mirror unready or a Remove could not update it. Failures are logged and retried with backoff
// (meanwhile Check fails closed). It returns nil when ctx ends.
func (l *List) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	backoff := time.Second
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.wake:
		case <-timer.C:
		}
		_, err := l.Verify(ctx)
		if ctx.Err() != nil {
			return nil
		}
		next := l.cfg.VerifyInterval
		if err != nil {
			l.log.ErrorContext(ctx, "suppression: mirror not verified; sends wait while it is unready",
				"error", err, "retry_in_ms", backoff.Milliseconds())
			next, backoff = backoff, min(2*backoff, l.cfg.VerifyInterval)
		} else {
			backoff = time.Second
		}
		timer.Reset(next)
	}
}
