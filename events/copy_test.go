package events

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/internal/pgtest"
)

// TestCopyEventsStoresEveryColumn writes rows through the reused per-row storage of eventRows
// and reads every column back: each row must keep its own values, and zero values are NULL.
func TestCopyEventsStoresEveryColumn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	in := []Event{
		{Type: Click, OccurredAt: at, CampaignID: 1, ContactID: 2, BrandID: 3, LinkID: 4, IP: "192.0.2.1",
			UserAgent: "Mozilla", Machine: true, Signals: []string{"head", "fast"}, Reason: "r",
			Data: map[string]any{"k": "v"}, DedupeKey: "b:1-0"},
		{Type: Open, OccurredAt: at.Add(time.Second)},
		{Type: Open, OccurredAt: at.Add(2 * time.Second), CampaignID: 5, ContactID: 6, Signals: []string{"no_ua"}},
	}
	require.NoError(t, pg.InTx(ctx, db.Pool, func(tx pgx.Tx) error {
		n, err := copyEvents(ctx, tx, in)
		assert.EqualValues(t, len(in), n)
		return err
	}))

	type row struct {
		Type                                 string
		OccurredAt                           time.Time
		CampaignID, ContactID, BrandID, Link *int64
		IP, UserAgent, DedupeKey             *string
		Machine                              bool
		Signals                              []string
		Reason                               string
		Data                                 map[string]any
	}
	rows, err := db.Pool.Query(ctx, `
SELECT type, occurred_at, campaign_id, contact_id, brand_id, link_id, ip, user_agent, dedupe_key,
       machine, signals, reason, data
FROM events ORDER BY id`)
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	require.NoError(t, err)
	i64 := func(v int64) *int64 { return &v }
	str := func(s string) *string { return &s }
	want := []row{
		{Type: "click", OccurredAt: at, CampaignID: i64(1), ContactID: i64(2), BrandID: i64(3), Link: i64(4),
			IP: str("192.0.2.1"), UserAgent: str("Mozilla"), DedupeKey: str("b:1-0"), Machine: true,
			Signals: []string{"head", "fast"}, Reason: "r", Data: map[string]any{"k": "v"}},
		{Type: "open", OccurredAt: at.Add(time.Second), Signals: []string{}},
		{Type: "open", OccurredAt: at.Add(2 * time.Second), CampaignID: i64(5), ContactID: i64(6), Signals: []string{"no_ua"}},
	}
	for i := range got {
		got[i].OccurredAt = got[i].OccurredAt.UTC()
	}
	assert.Equal(t, want, got)
}

// TestEventRowsEncodeWithoutAllocating guards what eventRows is for: pgx encodes a row of an
// event without data allocating only for its signals array (and boxing each element), not per
// column.
func TestEventRowsEncodeWithoutAllocating(t *testing.T) {
	evs := []Event{{Type: Open, OccurredAt: time.Now(), CampaignID: 1, ContactID: 2, LinkID: 3, IP: "192.0.2.1",
		UserAgent: "Mozilla", Signals: []string{"no_ua"}, DedupeKey: "b:1-0"}}
	oids := [13]uint32{pgtype.TextOID, pgtype.TimestamptzOID, pgtype.Int8OID, pgtype.Int8OID, pgtype.Int8OID,
		pgtype.Int4OID, pgtype.TextOID, pgtype.TextOID, pgtype.BoolOID, pgtype.TextArrayOID, pgtype.TextOID,
		pgtype.JSONBOID, pgtype.TextOID}
	m := pgtype.NewMap()
	r := &eventRows{evs: evs}
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		r.i = 0
		for r.Next() {
			vals, err := r.Values()
			require.NoError(t, err)
			buf = buf[:0]
			for i, v := range vals {
				enc, err := m.Encode(oids[i], pgtype.BinaryFormatCode, v, buf)
				if err != nil {
					t.Fatal(err)
				}
				if enc != nil { // nil is NULL, as CopyFrom treats it
					buf = enc
				}
			}
		}
	})
	assert.LessOrEqual(t, allocs, float64(1+len(evs[0].Signals)))
}
