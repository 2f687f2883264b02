package suppression

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
)

// Remove deletes entry id (an administrator's decision; the API must restrict it) and records a
// suppression_removed event naming actor. PostgreSQL commits first, then the mirror forgets the
// entry: if that second step fails, the mirror over-suppresses until the next Verify (Remove logs
// it and asks Run to verify; it still returns nil, since the removal itself is done). It returns
// ErrNotFound when there is no such entry.
func (l *List) Remove(ctx context.Context, id int64, actor string) error {
	return l.remove(ctx, actor, deleteByIDSQL, id)
}

// RemoveAddress is Remove for the entry of address in brandID's scope (0: all marketing).
func (l *List) RemoveAddress(ctx context.Context, address string, brandID int64, actor string) error {
	n, err := Normalize(address)
	if err != nil {
		return fmt.Errorf("suppression: remove: %w", err)
	}
	h := Hash(n)
	return l.remove(ctx, actor, deleteByAddressSQL, h[:], brandID)
}

// RemoveDomain is Remove for the whole-domain entry of domain in brandID's scope.
func (l *List) RemoveDomain(ctx context.Context, domain string, brandID int64, actor string) error {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return fmt.Errorf("suppression: remove: %w", err)
	}
	return l.remove(ctx, actor, deleteByDomainSQL, d, brandID)
}

const (
	deleteByIDSQL      = `DELETE FROM suppressions WHERE id = $1 RETURNING ` + entryColumns
	deleteByAddressSQL = `DELETE FROM suppressions WHERE address_hash = $1 AND coalesce(brand_id, 0) = $2 RETURNING ` + entryColumns
	deleteByDomainSQL  = `DELETE FROM suppressions WHERE domain = $1 AND coalesce(brand_id, 0) = $2 RETURNING ` + entryColumns
)

func (l *List) remove(ctx context.Context, actor, sql string, args ...any) error {
	var removed []Entry
	err := pg.InTx(ctx, l.pool, func(tx pgx.Tx) error {
		var err error
		removed, err = l.deleteIn(ctx, tx, actor, sql, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("suppression: remove: %w", err)
	}
	if len(removed) == 0 {
		return fmt.Errorf("suppression: remove: %w", ErrNotFound)
	}
	l.Forget(ctx, removed)
	return nil
}

// RemoveReason deletes, in the caller's transaction tx, the entries of address in brandID's scope
// (0: all marketing) that were added for reason, records a suppression_removed event naming actor
// for each, and returns them. Once tx has committed, pass them to Forget: the mirror may forget an
// entry only after PostgreSQL has, or a failed commit would leave a send allowed that the list
// still forbids. Concurrent calls for the same entries wait for each other's transactions, and the
// later one finds nothing left to remove. Whole-domain entries are not touched.
func (l *List) RemoveReason(ctx context.Context, tx pgx.Tx, address string, brandID int64, reason Reason, actor string) ([]Entry, error) {
	n, err := Normalize(address)
	if err != nil {
		return nil, fmt.Errorf("suppression: remove: %w", err)
	}
	h := Hash(n)
	removed, err := l.deleteIn(ctx, tx, actor, deleteByReasonSQL, h[:], brandID, reason)
	if err != nil {
		return nil, fmt.Errorf("suppression: remove: %w", err)
	}
	return removed, nil
}

// deleteIn runs a DELETE … RETURNING entryColumns in tx and records a suppression_removed event
// naming actor for each entry it deleted, which it returns.
func (l *List) deleteIn(ctx context.Context, tx pgx.Tx, actor, sql string, args ...any) ([]Entry, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	removed, err := collectEntries(rows)
	if err != nil || len(removed) == 0 {
		return nil, err
	}
	evs := make([]events.Event, len(removed))
	now := l.now()
	for i, e := range removed {
		evs[i] = entryEvent(events.SuppressionRemoved, e, actor)
		evs[i].OccurredAt = now
	}
	if _, err := events.Insert(ctx, tx, evs...); err != nil {
		return nil, err
	}
	return removed, nil
}

const deleteByReasonSQL = `DELETE FROM suppressions
WHERE address_hash = $1 AND coalesce(brand_id, 0) = $2 AND reason = $3
RETURNING ` + entryColumns

// Forget takes entries a committed transaction deleted (RemoveReason) out of the mirror. If that
// fails, the mirror over-suppresses until the next verification, which Forget asks for.
func (l *List) Forget(ctx context.Context, entries []Entry) {
	if len(entries) == 0 {
		return
	}
	members := make([]string, len(entries))
	for i, e := range entries {
		members[i] = entryMember(e)
	}
	if err := l.mirrorRemove(ctx, members...); err != nil {
		l.log.WarnContext(ctx, "suppression: removed entries still in the mirror until the next rebuild",
			"entries", len(entries), "error", err)
		l.requestVerify()
	}
}
