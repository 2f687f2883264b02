package suppression

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
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
// The cheap comparison (count(*) against SCARD) can differ for a moment while an Add is between
// its mirror write and its commit, so a difference is confirmed under the exclusive barrier,
// where no such Add exists, before rebuilding. What remains is real: members of rolled-back or
// failed transactions (over-suppression), members lost by Redis (under-suppression), or removals
// the mirror missed.
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
	if err != nil || rows == members {
		return false, err
	}
	err = l.barrier(ctx, func(tx pgx.Tx) error {
		rows, members, err = l.countsIn(ctx, tx)
		return err
	})
	if err != nil || rows == members {
		return false, err
	}
	l.log.WarnContext(ctx, "suppression: mirror differs from PostgreSQL, rebuilding",
		"rows", rows, "members", members)
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
