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

var stagingColumns = []string{"type", "occurred_at", "campaign_id", "contact_id", "brand_id", "link_id",
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
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events_staging"}, stagingColumns, pgx.CopyFromRows(rows)); err != nil {
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
