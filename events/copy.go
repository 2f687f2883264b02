package events

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// stagingSQL creates the per-connection staging table COPY writes into. ON COMMIT DELETE ROWS
// empties it at the end of every transaction, so a pooled connection can reuse it.
const stagingSQL = `
CREATE TEMP TABLE IF NOT EXISTS events_staging (
    type text, occurred_at timestamptz, campaign_id bigint, contact_id bigint, brand_id bigint,
    link_id integer, ip text, user_agent text, machine boolean, signals text[], reason text,
    data jsonb, dedupe_key text
) ON COMMIT DELETE ROWS`

// moveSQL moves staged rows into events; rows whose dedupe key is stored already are skipped,
// which makes a redelivered batch harmless.
const moveSQL = `
INSERT INTO events (type, occurred_at, campaign_id, contact_id, brand_id, link_id, ip, user_agent,
                    machine, signals, reason, data, dedupe_key)
SELECT type, occurred_at, campaign_id, contact_id, brand_id, link_id, ip, user_agent,
       machine, signals, reason, data, dedupe_key
FROM events_staging
ON CONFLICT (dedupe_key) DO NOTHING`

// eventColumns are the columns COPY writes, in both paths.
var eventColumns = []string{"type", "occurred_at", "campaign_id", "contact_id", "brand_id", "link_id",
	"ip", "user_agent", "machine", "signals", "reason", "data", "dedupe_key"}

// CopyInsert writes many events with COPY, inside tx, skipping events whose DedupeKey is already
// stored. It is the bulk path (the Ingester); Insert is the path for a handful of rows.
func CopyInsert(ctx context.Context, tx pgx.Tx, evs []Event) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, stagingSQL); err != nil {
		return 0, fmt.Errorf("events: copy: staging: %w", err)
	}
	rows := make([][]any, len(evs))
	for i, e := range evs {
		var data []byte
		if e.Data != nil {
			var err error
			if data, err = json.Marshal(e.Data); err != nil {
				return 0, fmt.Errorf("events: copy: data of event %d: %w", i, err)
			}
		}
		signals := e.Signals
		if signals == nil {
			signals = []string{}
		}
		rows[i] = []any{string(e.Type), e.OccurredAt, nullInt(e.CampaignID), nullInt(e.ContactID),
			nullInt(e.BrandID), nullInt(int64(e.LinkID)), nullString(e.IP), nullString(e.UserAgent),
			e.Machine, signals, e.Reason, data, nullString(e.DedupeKey)}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events_staging"}, eventColumns, pgx.CopyFromRows(rows)); err != nil {
		return 0, fmt.Errorf("events: copy: %w", err)
	}
	tag, err := tx.Exec(ctx, moveSQL)
	if err != nil {
		return 0, fmt.Errorf("events: copy: move: %w", err)
	}
	return tag.RowsAffected(), nil
}

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
