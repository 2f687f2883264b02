package events

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// eventColumns are the columns COPY writes.
var eventColumns = []string{"type", "occurred_at", "campaign_id", "contact_id", "brand_id", "link_id",
	"ip", "user_agent", "machine", "signals", "reason", "data", "dedupe_key"}

func nullInt(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

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
type eventRows struct {
	evs []Event
	i   int
	row [13]any
}

func (r *eventRows) Next() bool {
	r.i++
	return r.i <= len(r.evs)
}

func (r *eventRows) Values() ([]any, error) {
	e := &r.evs[r.i-1]
	var data []byte
	if e.Data != nil {
		var err error
		if data, err = json.Marshal(e.Data); err != nil {
			return nil, fmt.Errorf("data of event %d: %w", r.i-1, err)
		}
	}
	signals := e.Signals
	if signals == nil {
		signals = []string{}
	}
	r.row = [13]any{string(e.Type), e.OccurredAt, nullInt(e.CampaignID), nullInt(e.ContactID),
		nullInt(e.BrandID), nullInt(int64(e.LinkID)), nullString(e.IP), nullString(e.UserAgent),
		e.Machine, signals, e.Reason, data, nullString(e.DedupeKey)}
	return r.row[:], nil
}

func (r *eventRows) Err() error { return nil }
