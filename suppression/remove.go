package suppression

import (
	"context"
	"errors"
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
	var e Entry
	err := pg.InTx(ctx, l.pool, func(tx pgx.Tx) error {
		var err error
		if e, err = scanEntry(tx.QueryRow(ctx, sql, args...)); err != nil {
			return err
		}
		ev := entryEvent(events.SuppressionRemoved, e, actor)
		ev.OccurredAt = l.now()
		_, err = events.Insert(ctx, tx, ev)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("suppression: remove: %w", ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("suppression: remove: %w", err)
	}
	if err := l.mirrorRemove(ctx, entryMember(e)); err != nil {
		l.log.WarnContext(ctx, "suppression: removed entry still in the mirror until the next rebuild",
			"suppression_id", e.ID, "error", err)
		l.requestVerify()
	}
	return nil
}
