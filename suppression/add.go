package suppression

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
)

// Add puts an entry on the list inside the caller's transaction tx, records a
// suppression_added event in it, and mirrors the entry to Redis before returning, that is before
// the caller commits. So:
//   - once the caller's commit succeeds, every later Check sees the entry;
//   - if the mirror write fails, Add returns an error wrapping ErrUnavailable and the caller must
//     roll back: nothing was promised and nothing is lost;
//   - if the caller's commit fails after Add, the mirror over-suppresses until the next Verify.
//
// An entry that already exists (same address or domain in the same scope) is returned with
// created=false and no event; it is mirrored again all the same. Invalid input gives an error
// wrapping ErrInvalid (an unknown brand too, after which tx is aborted).
func (l *List) Add(ctx context.Context, tx pgx.Tx, in Input) (e Entry, created bool, err error) {
	r, err := prepare(in)
	if err != nil {
		return Entry{}, false, fmt.Errorf("suppression: add: %w", err)
	}
	if err := l.holdShared(ctx, tx); err != nil {
		return Entry{}, false, fmt.Errorf("suppression: add: %w", err)
	}
	e, created, err = l.insert(ctx, tx, r)
	if err != nil {
		return Entry{}, false, fmt.Errorf("suppression: add: %w", err)
	}
	if created {
		if _, err := events.Insert(ctx, tx, addedEvent(e, in)); err != nil {
			return Entry{}, false, fmt.Errorf("suppression: add: %w", err)
		}
	}
	if err := l.mirrorAdd(ctx, entryMember(e)); err != nil {
		return Entry{}, false, fmt.Errorf("suppression: add: %w", err)
	}
	return e, created, nil
}

// AddOne is Add in a transaction of its own, committed before it returns.
func (l *List) AddOne(ctx context.Context, in Input) (e Entry, created bool, err error) {
	err = pg.InTx(ctx, l.pool, func(tx pgx.Tx) error {
		e, created, err = l.Add(ctx, tx, in)
		return err
	})
	return e, created, err
}

const entryColumns = `id, address_hash, coalesce(address, ''), coalesce(domain, ''), coalesce(brand_id, 0),
       reason, source, actor, created_at`

// insertSQL skips a row that one of the unique indexes (address or domain, per scope) already
// holds; the existing row is then read by selectExisting*.
const insertSQL = `
INSERT INTO suppressions (address_hash, address, domain, brand_id, reason, source, actor, created_at)
VALUES ($1, nullif($2, ''), nullif($3, ''), nullif($4::bigint, 0), $5, $6, $7, $8)
ON CONFLICT DO NOTHING
RETURNING ` + entryColumns

const selectExistingAddressSQL = `SELECT ` + entryColumns + `
FROM suppressions WHERE address_hash = $1 AND coalesce(brand_id, 0) = $2`

const selectExistingDomainSQL = `SELECT ` + entryColumns + `
FROM suppressions WHERE domain = $1 AND coalesce(brand_id, 0) = $2`

func (l *List) insert(ctx context.Context, tx pgx.Tx, r row) (Entry, bool, error) {
	e, err := scanEntry(tx.QueryRow(ctx, insertSQL, r.hash, r.address, r.domain, r.brandID,
		string(r.reason), r.source, r.actor, l.now()))
	switch {
	case err == nil:
		return e, true, nil
	case pg.IsForeignKeyViolation(err):
		return Entry{}, false, fmt.Errorf("%w: unknown brand %d", ErrInvalid, r.brandID)
	case !errors.Is(err, pgx.ErrNoRows):
		return Entry{}, false, err
	}
	if r.domain != "" {
		e, err = scanEntry(tx.QueryRow(ctx, selectExistingDomainSQL, r.domain, r.brandID))
	} else {
		e, err = scanEntry(tx.QueryRow(ctx, selectExistingAddressSQL, r.hash, r.brandID))
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("read existing entry: %w", err)
	}
	return e, false, nil
}

func scanEntry(s pgx.Row) (Entry, error) {
	var e Entry
	err := s.Scan(&e.ID, &e.AddressHash, &e.Address, &e.Domain, &e.BrandID, &e.Reason, &e.Source,
		&e.Actor, &e.CreatedAt)
	return e, err
}

// collectEntries reads every row of rows (entryColumns) and closes it.
func collectEntries(rows pgx.Rows) ([]Entry, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) { return scanEntry(r) })
}

// entryEvent is the event recording a change to e; Data names the entry.
func entryEvent(typ events.Type, e Entry, actor string) events.Event {
	data := map[string]any{"suppression_id": e.ID, "reason": string(e.Reason), "actor": actor}
	if e.Source != "" {
		data["source"] = e.Source
	}
	if e.Domain != "" {
		data["domain"] = e.Domain
	} else {
		data["address_hash"] = hex.EncodeToString(e.AddressHash)
	}
	if e.Address != "" {
		data["address"] = e.Address
	}
	if e.BrandID != 0 {
		data["brand_id"] = e.BrandID
	}
	return events.Event{Type: typ, BrandID: e.BrandID, Reason: string(e.Reason), Data: data}
}

func addedEvent(e Entry, in Input) events.Event {
	ev := entryEvent(events.SuppressionAdded, e, e.Actor)
	ev.OccurredAt, ev.ContactID, ev.CampaignID = e.CreatedAt, in.ContactID, in.CampaignID
	return ev
}
