package suppression

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// The mirror barrier is a PostgreSQL advisory lock, two-key form (advisoryClass, List.lockID),
// so it never meets goose's or anyone's one-key locks, and lists with different Redis prefixes
// (tests, separate installations on one database) do not wait for each other.
//
// Every transaction that writes mirror members before committing its rows (Add, Import) holds
// it shared from before its mirror write until it ends. Rebuild and the precise Verify take it
// exclusively for an instant: once they hold it, no such transaction is between its mirror write
// and its commit, so every member already in the mirror either belongs to a committed row that
// their next statement sees, or to a rolled-back one (over-suppression, corrected by Rebuild).
const advisoryClass int32 = 0x4b6a5375

const lockSharedSQL = `SELECT pg_advisory_xact_lock_shared($1, $2)`

// holdShared takes the barrier shared until tx ends.
func (l *List) holdShared(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, lockSharedSQL, advisoryClass, l.lockID); err != nil {
		return fmt.Errorf("mirror barrier: %w", err)
	}
	return nil
}

// lock_timeout bounds the wait for a long caller transaction (Rebuild then fails and is retried
// later). It matters twice: new Adds queue behind a waiting exclusive request, so this is also the
// longest an unsubscribe can be held up by a rebuild.
const lockExclusiveSQL = `SELECT set_config('lock_timeout', '5s', true), pg_advisory_xact_lock($1, $2)`

// barrier runs fn while holding the barrier exclusively, in a transaction of its own. Adds wait
// for it, so fn must be short.
func (l *List) barrier(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pg.InTx(ctx, l.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockExclusiveSQL, advisoryClass, l.lockID); err != nil {
			return fmt.Errorf("mirror barrier: %w", err)
		}
		if fn == nil {
			return nil
		}
		return fn(tx)
	})
}
