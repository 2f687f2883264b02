package events

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// eventColumns are the columns COPY writes.
var eventColumns = []string{"type", "occurred_at", "campaign_id", "contact_id", "brand_id", "link_id",
	"ip", "user_agent", "machine", "signals", "reason", "data", "dedupe_key"}

// storedKeysSQL finds which of the given dedupe keys are stored already.
const storedKeysSQL = `SELECT dedupe_key FROM events WHERE dedupe_key = ANY($1)`

func storedKeys(ctx context.Context, tx pgx.Tx, keys []string) (map[string]bool, error) {
	stored := make(map[string]bool)
	if len(keys) == 0 {
		return stored, nil
	}
	rows, err := tx.Query(ctx, storedKeysSQL, keys)
	if err != nil {
		return nil, fmt.Errorf("events: stored keys: %w", err)
	}
	k, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("events: stored keys: %w", err)
	}
	for _, key := range k {
		stored[key] = true
	}
	return stored, nil
}

// copyEvents writes evs into events with COPY and no conflict handling: a stored dedupe key
// fails the whole COPY. The caller has ruled that out (the Ingester checks each entry's key
// first; a concurrent writer of the same entry makes one of the two transactions fail and retry).
func copyEvents(ctx context.Context, tx pgx.Tx, evs []Event) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, eventColumns, &eventRows{evs: evs})
	if err != nil {
		return 0, fmt.Errorf("events: copy: %w", err)
	}
	return n, nil
}

// eventRows feeds events to CopyFrom one row at a time, without building every row first.
// CopyFrom encodes each row before it asks for the next, so Values hands it pointers into one
// row's worth of storage that the next call overwrites, of pgtype types that pgx encodes through
// their Valuer methods: no allocation per column (an int64, string or time.Time in an interface
// takes one, and so does pgx dereferencing a *int64), which at tens of thousands of events a
// second was a visible share of the ingester's cost. (pgx still allocates for the signals array.)
type eventRows struct {
	evs []Event
	i   int
	row [13]any

	typ, reason pgtype.Text
	at          pgtype.Timestamptz
	ints        [4]pgtype.Int8 // campaign, contact, brand, link; 0 is NULL
	strs        [3]pgtype.Text // ip, user agent, dedupe key; "" is NULL
	signals     pgtype.FlatArray[string]
}

func (r *eventRows) Next() bool {
	r.i++
	return r.i <= len(r.evs)
}

func (r *eventRows) Values() ([]any, error) {
	e := &r.evs[r.i-1]
	var data any // untyped nil: NULL
	if e.Data != nil {
		b, err := json.Marshal(e.Data)
		if err != nil {
			return nil, fmt.Errorf("data of event %d: %w", r.i-1, err)
		}
		data = b
	}
	if r.signals = e.Signals; r.signals == nil {
		r.signals = pgtype.FlatArray[string]{} // NOT NULL: an empty array
	}
	r.typ = pgtype.Text{String: string(e.Type), Valid: true}
	r.reason = pgtype.Text{String: e.Reason, Valid: true}
	r.at = pgtype.Timestamptz{Time: e.OccurredAt, Valid: true}
	for i, v := range [...]int64{e.CampaignID, e.ContactID, e.BrandID, int64(e.LinkID)} {
		r.ints[i] = pgtype.Int8{Int64: v, Valid: v != 0}
	}
	for i, v := range [...]string{e.IP, e.UserAgent, e.DedupeKey} {
		r.strs[i] = pgtype.Text{String: v, Valid: v != ""}
	}
	r.row = [13]any{&r.typ, &r.at, &r.ints[0], &r.ints[1], &r.ints[2], &r.ints[3], &r.strs[0], &r.strs[1],
		e.Machine, &r.signals, &r.reason, data, &r.strs[2]}
	return r.row[:], nil
}

func (r *eventRows) Err() error { return nil }
