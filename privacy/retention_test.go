package privacy_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/privacy"
)

const day = 24 * time.Hour

// storedAgo inserts an open with client data for contact and backdates when it was stored.
func storedAgo(t *testing.T, e *env, now time.Time, ago time.Duration, contact int64) int64 {
	t.Helper()
	_, err := events.Insert(e.ctx, e.db.Pool, events.Event{Type: events.Open, OccurredAt: now.Add(-ago),
		CampaignID: 1, ContactID: contact, IP: "192.0.2.1", UserAgent: "Mail"})
	require.NoError(t, err)
	var id int64
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `UPDATE events SET recorded_at = $1
		WHERE id = (SELECT max(id) FROM events) RETURNING id`, now.Add(-ago)).Scan(&id))
	return id
}

func TestRetentionClearsThenDeletes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := fixture.Contact(t, e.db.Pool, "anna@yritys.fi", "Buyer")
	_, err := e.db.Pool.Exec(e.ctx, `INSERT INTO contact_engagement (contact_id, opens_90d, score, score_at)
		VALUES ($1, 3, 2.5, now())`, c.ID)
	require.NoError(t, err)
	now := time.Now().UTC().Truncate(time.Second)
	ancient := []int64{storedAgo(t, e, now, 800*day, c.ID), storedAgo(t, e, now, 750*day, c.ID)}
	old := []int64{storedAgo(t, e, now, 200*day, c.ID), storedAgo(t, e, now, 100*day, c.ID), storedAgo(t, e, now, 95*day, c.ID)}
	recent := storedAgo(t, e, now, 10*day, c.ID)
	// The engagement reader has read up to the first ancient event only.
	_, err = e.db.Pool.Exec(e.ctx, `UPDATE feed_cursors SET tx = e.tx, id = e.id FROM events e WHERE e.id = $1`, ancient[0])
	require.NoError(t, err)

	clock := now
	r := privacy.NewRetention(e.db.Pool, privacy.RetentionConfig{ClientDataAge: 90 * day, EventAge: 730 * day,
		Chunk: 2, Now: func() time.Time { return clock }})
	res, err := r.Run(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, privacy.RetentionResult{ClientDataCleared: 5, EventsDeleted: 1, HeldBack: true}, res)
	assert.Equal(t, []int64{ancient[1], old[0], old[1], old[2], recent}, e.eventIDs(t), "an unread old event stays")
	assert.Equal(t, []int64{recent}, e.eventIDs(t, "ip IS NOT NULL OR user_agent IS NOT NULL"), "only the recent keeps client data")
	var bookmark int64
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT last_id FROM retention_state WHERE name = 'events_client_data'`).Scan(&bookmark))
	assert.Equal(t, old[2], bookmark)

	_, err = e.db.Pool.Exec(e.ctx, `UPDATE feed_cursors SET tx = e.tx, id = e.id FROM events e WHERE e.id = $1`, recent)
	require.NoError(t, err)
	clock = now.Add(6 * day) // the 95-day-old event is now older than 100 days: nothing else changes
	res, err = r.Run(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, privacy.RetentionResult{EventsDeleted: 1}, res, "the rest of the ancient events go once read")
	assert.Equal(t, []int64{old[0], old[1], old[2], recent}, e.eventIDs(t))

	clock = now.Add(90 * day)
	res, err = r.Run(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, privacy.RetentionResult{ClientDataCleared: 1}, res, "the recent event's turn, walked from the bookmark")

	var opens int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT opens_90d FROM contact_engagement WHERE contact_id = $1`, c.ID).Scan(&opens))
	assert.Equal(t, 3, opens, "rollups are not events: they stay")

	off := privacy.NewRetention(e.db.Pool, privacy.RetentionConfig{Now: func() time.Time { return now.Add(5000 * day) }})
	res, err = off.Run(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, res, "zero ages keep everything")
	assert.Len(t, e.eventIDs(t), 4)
}

func (e *env) eventIDs(t *testing.T, where ...string) []int64 {
	t.Helper()
	cond := "true"
	if len(where) > 0 {
		cond = where[0]
	}
	rows, err := e.db.Pool.Query(e.ctx, `SELECT id FROM events WHERE `+cond+` ORDER BY id`)
	require.NoError(t, err)
	var ids []int64
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids
}

func TestRetentionTask(t *testing.T) {
	t.Parallel()
	e := setup(t)
	now := time.Now()
	storedAgo(t, e, now, 100*day, 1)
	task := privacy.NewRetentionTask(e.rd.Prefix + "background")
	assert.Equal(t, privacy.TypeRetention, task.Type())
	r := privacy.NewRetention(e.db.Pool, privacy.RetentionConfig{ClientDataAge: 90 * day})
	require.NoError(t, r.ProcessTask(e.ctx, task))
	assert.Empty(t, e.eventIDs(t, "ip IS NOT NULL"))

	// Through asynq's own mux, by exact type.
	storedAgo(t, e, now, 100*day, 2)
	mux := asynq.NewServeMux()
	mux.HandleFunc(privacy.TypeRetention, r.ProcessTask)
	require.NoError(t, mux.ProcessTask(e.ctx, task))
	assert.Empty(t, e.eventIDs(t, "ip IS NOT NULL"))

	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	storedAgo(t, e, now, 100*day, 3)
	require.ErrorIs(t, r.ProcessTask(ctx, task), context.Canceled, "a cancelled run says so")
}
