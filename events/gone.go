package events

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Opens and clicks arrive long after their message was sent, and some name a contact that has
// been erased since (an old message opened again). The ingester stores such an event without the
// contact and its client data, as Forget left the contact's earlier events, so that an erasure
// also covers what its person does after it.
//
// A PostgreSQL advisory lock orders the two. An ingest transaction holds it shared (HoldErasures)
// from before it looks its contacts up until it commits; Forget takes it exclusively before it
// anonymises the contact's events, so it waits for rounds in flight, whose events it then sees,
// and a round that starts meanwhile waits for the erasure to commit and then finds the contact
// gone. Rounds do not wait for each other. The lock is the schema's own (its second key is the hash of
// the schema's name), so installations that share a database do not wait for each other.
const erasureLockClass int32 = 0x4b6a4572 // "KjEr"; suppression's mirror barrier uses another class

const (
	holdErasuresSQL = `SELECT pg_advisory_xact_lock_shared($1, hashtext(current_schema()))`
	lockErasureSQL  = `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`
	// goneContactsSQL returns those of the IDs that name no contact.
	goneContactsSQL = `SELECT id FROM unnest($1::bigint[]) AS x(id)
WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = x.id)`
)

// HoldErasures makes tx wait for an erasure that is anonymising a contact's events and keeps
// others from starting to until tx ends. Hold it in a transaction that writes events naming
// contacts it has checked exist: the ingester does, for each round. Only in a transaction that
// locks no contact row, not even through a foreign key check: an erasure holds its contact
// FOR UPDATE while it waits for this lock. (Writers that do touch contact rows lock them with
// register.Store.HoldContacts instead, as the worker's ledger writer does.)
//
// The ordering relies on READ COMMITTED, PostgreSQL's default and Kirje's: the look-up after
// the lock must see an erasure that committed while the round waited.
func HoldErasures(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, holdErasuresSQL, erasureLockClass); err != nil {
		return fmt.Errorf("events: hold erasures: %w", err)
	}
	return nil
}

// lockForErasure makes tx, an erasure's transaction, wait for the ingest rounds in flight and
// keeps new ones from looking contacts up until tx ends.
func lockForErasure(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, lockErasureSQL, erasureLockClass); err != nil {
		return fmt.Errorf("events: lock for erasure: %w", err)
	}
	return nil
}

// forgetGone holds erasures off for the rest of tx, then strips the contact, IP address and user
// agent from the events in evs whose contact no longer exists. The lock and the look-up travel in
// one round trip; the look-up's snapshot is taken after the lock is granted, so it sees an
// erasure that the lock waited for.
func forgetGone(ctx context.Context, tx pgx.Tx, evs []Event) error {
	ids := make([]int64, 0, 8)
	seen := make(map[int64]struct{}, 8)
	for i := range evs {
		id := evs[i].ContactID
		if id == 0 {
			continue
		}
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(holdErasuresSQL, erasureLockClass)
	b.Queue(goneContactsSQL, ids)
	br := tx.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return fmt.Errorf("events: hold erasures: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return fmt.Errorf("events: find erased contacts: %w", err)
	}
	gone, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("events: find erased contacts: %w", err)
	}
	if len(gone) == 0 {
		return nil
	}
	clear(seen)
	for _, id := range gone {
		seen[id] = struct{}{}
	}
	for i := range evs {
		if _, ok := seen[evs[i].ContactID]; ok { // never 0: only named contacts were looked up
			evs[i].ContactID, evs[i].IP, evs[i].UserAgent = 0, "", ""
		}
	}
	return nil
}
