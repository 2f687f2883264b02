package events

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/internal/pgtest"
)

// TestCopyEventsStoresEveryColumn writes rows in the binary COPY format and reads every column
// back: each row must keep its own values, and zero values are NULL.
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

// TestCopyEventsSpansChunks copies more rows than one chunk of the reader holds, with text that
// needs care (multi-byte characters, quotes, tabs, backslashes), and reads them all back.
func TestCopyEventsSpansChunks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	ua := "Mozilla/5.0 \"Säätö\"\t\\ テスト " + strings.Repeat("x", 100)
	in := make([]Event, 3*copyChunk/100)
	for i := range in {
		in[i] = Event{Type: Open, OccurredAt: time.Unix(1_800_000_000+int64(i), 123_000).UTC(), CampaignID: 7,
			ContactID: int64(i + 1), UserAgent: ua, Signals: []string{"proxy", strconv.Itoa(i)}}
	}
	require.NoError(t, pg.InTx(ctx, db.Pool, func(tx pgx.Tx) error {
		n, err := copyEvents(ctx, tx, in)
		assert.EqualValues(t, len(in), n)
		return err
	}))
	rows, err := db.Pool.Query(ctx, `SELECT contact_id, occurred_at, user_agent, signals FROM events ORDER BY contact_id`)
	require.NoError(t, err)
	i := 0
	for rows.Next() {
		var (
			contact int64
			at      time.Time
			gotUA   string
			signals []string
		)
		require.NoError(t, rows.Scan(&contact, &at, &gotUA, &signals))
		require.Less(t, i, len(in))
		assert.Equal(t, in[i].ContactID, contact)
		assert.True(t, in[i].OccurredAt.Equal(at), "row %d: %v, want %v", i, at, in[i].OccurredAt)
		assert.Equal(t, ua, gotUA)
		assert.Equal(t, in[i].Signals, signals)
		i++
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, len(in), i)
}

// TestCopyEventsRefusesOutOfRangeLink: link_id is an integer column; a link ID beyond it is an
// error, not a wrapped number.
func TestCopyEventsRefusesOutOfRangeLink(t *testing.T) {
	_, err := appendCopyRow(nil, &Event{Type: Click, OccurredAt: time.Now(), LinkID: math.MaxInt32 + 1})
	require.ErrorContains(t, err, "out of range")
}

// TestCopyRowEncodesWithoutAllocating guards what appendCopyRow is for: an open or click (no
// data) is encoded into a buffer with room without a single allocation.
func TestCopyRowEncodesWithoutAllocating(t *testing.T) {
	ev := Event{Type: Open, OccurredAt: time.Now(), CampaignID: 1, ContactID: 2, LinkID: 3, IP: "192.0.2.1",
		UserAgent: "Mozilla", Signals: []string{"no_ua"}, DedupeKey: "b:1-0"}
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = appendCopyRow(buf[:0], &ev); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

// Copy checks what COPY cannot: a type on every event and no dedupe key (COPY has no conflict
// handling); a missing time is filled in. A refused slice writes nothing.
func TestCopy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	tests := []struct {
		name    string
		evs     []Event
		wantErr string
	}{
		{"no type", []Event{{Type: Sent, CampaignID: 1}, {CampaignID: 1}}, "event 1 has no type"},
		{"dedupe key", []Event{{Type: Sent, CampaignID: 1, DedupeKey: "k"}}, "use Insert"},
		{"no time", []Event{{Type: Sent, CampaignID: 2}, {Type: Dropped, CampaignID: 2, Reason: "suppressed"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n int64
			given := slices.Clone(tt.evs)
			err := pg.InTx(ctx, db.Pool, func(tx pgx.Tx) error {
				var err error
				n, err = Copy(ctx, tx, tt.evs)
				return err
			})
			assert.Equal(t, given, tt.evs, "the caller's events are not changed")
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.EqualValues(t, len(tt.evs), n)
		})
	}
	var stored, timed int
	require.NoError(t, db.Pool.QueryRow(ctx,
		`SELECT count(*), count(*) FILTER (WHERE occurred_at > now() - interval '1 minute') FROM events`).Scan(&stored, &timed))
	assert.Equal(t, 2, stored, "only the accepted slice is stored")
	assert.Equal(t, 2, timed, "events without a time get the current one")
}
