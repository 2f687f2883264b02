package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
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
// row's worth of storage that the next call overwrites: no allocation per value (an int64 or a
// time.Time put in an interface would take one each), which at tens of thousands of events a
// second is most of what the ingester costs the garbage collector.
type eventRows struct {
	evs []Event
	i   int
	row [13]any

	typ, reason string
	at          time.Time
	ints        [4]int64  // campaign, contact, brand, link
	strs        [3]string // ip, user agent, dedupe key
	signals     []string
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
	r.typ, r.reason, r.at = string(e.Type), e.Reason, e.OccurredAt
	if r.signals = e.Signals; r.signals == nil {
		r.signals = []string{}
	}
	r.row = [13]any{&r.typ, &r.at,
		r.nullInt(0, e.CampaignID), r.nullInt(1, e.ContactID), r.nullInt(2, e.BrandID), r.nullInt(3, int64(e.LinkID)),
		r.nullString(0, e.IP), r.nullString(1, e.UserAgent),
		e.Machine, &r.signals, &r.reason, data, r.nullString(2, e.DedupeKey)}
	return r.row[:], nil
}

// nullInt returns v in slot i of the row's storage, or a nil pointer (NULL) for 0.
func (r *eventRows) nullInt(i int, v int64) *int64 {
	if v == 0 {
		return nil
	}
	r.ints[i] = v
	return &r.ints[i]
}

// nullString returns s in slot i of the row's storage, or a nil pointer (NULL) for "".
func (r *eventRows) nullString(i int, s string) *string {
	if s == "" {
		return nil
	}
	r.strs[i] = s
	return &r.strs[i]
}

func (r *eventRows) Err() error { return nil }
