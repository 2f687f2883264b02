package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pgtest"
)

func TestInsertSkipsDuplicateKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

	n, err := events.Insert(ctx, db.Pool,
		events.Event{Type: events.Open, OccurredAt: at, CampaignID: 1, ContactID: 2, DedupeKey: "s:1-0:0",
			IP: "192.0.2.1", UserAgent: "Mozilla", Machine: true, Signals: []string{"proxy", "fast"}},
		events.Event{Type: events.Sent, OccurredAt: at, CampaignID: 1, ContactID: 3, Reason: "<id@x>",
			Data: map[string]any{"attempt": 1}},
	)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)

	n, err = events.Insert(ctx, db.Pool, events.Event{Type: events.Open, OccurredAt: at, DedupeKey: "s:1-0:0"})
	require.NoError(t, err)
	assert.EqualValues(t, 0, n, "an event whose dedupe key is stored must be skipped")

	var (
		signals []string
		link    *int32
		ip      *string
	)
	require.NoError(t, db.Pool.QueryRow(ctx,
		`SELECT signals, link_id, ip FROM events WHERE dedupe_key = 's:1-0:0'`).Scan(&signals, &link, &ip))
	assert.Equal(t, []string{"proxy", "fast"}, signals)
	assert.Nil(t, link, "a zero link ID is stored as NULL")
	require.NotNil(t, ip)
	assert.Equal(t, "192.0.2.1", *ip)

	var attempt int
	require.NoError(t, db.Pool.QueryRow(ctx,
		`SELECT (data->>'attempt')::int FROM events WHERE contact_id = 3`).Scan(&attempt))
	assert.Equal(t, 1, attempt)
}

func TestInsertRejectsEventWithoutType(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	_, err := events.Insert(context.Background(), db.Pool, events.Event{})
	require.ErrorContains(t, err, "no type")
}
