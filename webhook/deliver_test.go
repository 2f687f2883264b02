package webhook_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/webhook"
)

// A receiver that fails three times, then accepts: every attempt carries the same webhook-id and
// body with a valid signature, retries follow the backoff, and the receiver processes the message
// once.
func TestRetriesKeepTheDeliveryIdentity(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 500, 503, 429, 204)
	b := setup(t, webhook.Config{Policy: loopback, FirstRetry: 10 * time.Second})
	sub := b.add(t, rcv.URL)
	b.emit(t, events.Sent, events.Open, events.Click)
	require.Equal(t, 1, b.pump(t).Deliveries)

	start := b.clock.Now()
	var delays []time.Duration
	for range 4 {
		r, err := b.disp.Deliver(b.ctx, sub.ID)
		require.NoError(t, err)
		if !r.Failed {
			assert.Equal(t, 1, r.Delivered)
			break
		}
		next := nextAttempt(t, b, sub.ID)
		delays = append(delays, next.Sub(b.clock.Now()))
		r, err = b.disp.Deliver(b.ctx, sub.ID)
		require.NoError(t, err)
		assert.Equal(t, webhook.DeliverResult{}, r, "nothing is sent before the retry is due")
		b.clock.Set(next)
	}
	assert.Equal(t, []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second}, delays)
	assert.True(t, start.Add(70*time.Second).Equal(b.clock.Now()))

	reqs := rcv.requests()
	require.Len(t, reqs, 4)
	for i, req := range reqs {
		assert.Equal(t, reqs[0].header.Get("webhook-id"), req.header.Get("webhook-id"), "attempt %d", i)
		assert.Equal(t, reqs[0].body, req.body, "attempt %d", i)
		assert.Equal(t, "application/json", req.header.Get("Content-Type"))
		sent := time.Unix(mustInt(t, req.header.Get("webhook-timestamp")), 0)
		require.NoError(t, verify(sub.Secret, req.header, req.body, sent), "attempt %d", i)
	}
	assert.Len(t, rcv.acceptedIDs(t), 3, "the receiver processed the message once")

	var body struct {
		Type string
		Data []struct {
			Type    events.Type
			Contact struct{ ID int64 }
		}
	}
	require.NoError(t, json.Unmarshal(reqs[0].body, &body))
	assert.Equal(t, "kirje.events", body.Type)
	assert.Equal(t, events.Sent, body.Data[0].Type)
	assert.EqualValues(t, 100, body.Data[0].Contact.ID)

	// Each retry was enqueued for its time, under an ID naming the attempt.
	info, err := asynq.NewInspectorFromRedisClient(b.rd.Client).GetQueueInfo(b.queue)
	require.NoError(t, err)
	assert.Equal(t, 3, info.Scheduled)
}

// A receiver that keeps failing: after the retry window the subscription is disabled with the
// reason; its cursor stays put while it is disabled; enabling it delivers what it missed, in
// order, once.
func TestRetryWindowDisablesAndEnableResumes(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 503)
	b := setup(t, webhook.Config{Policy: loopback, FirstRetry: time.Minute, MaxRetryDelay: 2 * time.Hour,
		RetryWindow: 24 * time.Hour})
	sub := b.add(t, rcv.URL)
	b.emit(t, events.Sent, events.Open)
	b.pump(t)

	start := b.clock.Now()
	attempts := 0
	for {
		r, err := b.disp.Deliver(b.ctx, sub.ID)
		require.NoError(t, err)
		require.True(t, r.Failed)
		attempts++
		if r.Disabled {
			break
		}
		b.clock.Set(nextAttempt(t, b, sub.ID))
		require.Less(t, attempts, 100)
	}
	elapsed := b.clock.Now().Sub(start)
	assert.GreaterOrEqual(t, elapsed, 24*time.Hour)
	assert.Less(t, elapsed, 26*time.Hour, "disabled at the first attempt after the window")
	// 1, 2, 4 … 64 minutes, then every 2 hours: about 19 attempts in a day.
	assert.InDelta(t, 19, attempts, 2)

	got, err := b.disp.Store().Get(b.ctx, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, webhook.StatusDisabled, got.Status)
	assert.Contains(t, got.DisabledReason, "HTTP 503")
	assert.Contains(t, got.DisabledReason, "failed for 2")
	assert.EqualValues(t, 1, got.Pending)
	assert.Contains(t, got.LastError, "HTTP 503")
	cursor := got.Cursor

	// While disabled: nothing is sent and the cursor does not move.
	b.emit(t, events.Click, events.Unsubscribe)
	b.pump(t)
	r, err := b.disp.Deliver(b.ctx, sub.ID)
	require.NoError(t, err)
	assert.Zero(t, r.Delivered)
	got, err = b.disp.Store().Get(b.ctx, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, cursor, got.Cursor)

	rcv.mu.Lock()
	rcv.statuses = []int{200}
	rcv.mu.Unlock()
	_, err = b.disp.Store().Enable(b.ctx, sub.ID)
	require.NoError(t, err)
	b.pump(t)
	r, err = b.disp.Deliver(b.ctx, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, r.Delivered, "the old delivery, then the new one")
	ids := rcv.acceptedIDs(t)
	require.Len(t, ids, 4)
	assert.IsIncreasing(t, ids)
}

// Deliveries of one subscription go in order: a failing one holds back the ones after it.
func TestDeliveriesGoInOrder(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 200, 500, 200)
	b := setup(t, webhook.Config{Policy: loopback, BatchSize: 2})
	sub := b.add(t, rcv.URL)
	b.emit(t, events.Sent, events.Sent, events.Open, events.Open, events.Click)
	assert.Equal(t, 3, b.pump(t).Deliveries)

	r, err := b.disp.Deliver(b.ctx, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, webhook.DeliverResult{Delivered: 1, Failed: true}, r, "the second failed; the third waits")
	require.Len(t, rcv.requests(), 2)

	b.clock.Set(nextAttempt(t, b, sub.ID))
	r, err = b.disp.Deliver(b.ctx, sub.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, r.Delivered)
	ids := rcv.acceptedIDs(t)
	assert.Len(t, ids, 5)
	assert.IsIncreasing(t, ids)
}

func TestPumpFiltersTypesAndBoundsTheBacklog(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 200)
	b := setup(t, webhook.Config{Policy: loopback, BatchSize: 1, MaxPending: 2})
	clicks := b.add(t, rcv.URL, events.Click)
	all := b.add(t, rcv.URL)
	b.emit(t, events.Sent, events.Click, events.Open, events.Click)

	r := b.pump(t)
	assert.Equal(t, 4, r.Deliveries, "two each: the backlog is capped at MaxPending")
	assert.Equal(t, 2, r.Enqueued)
	for _, id := range []int64{clicks.ID, all.ID} {
		_, err := b.disp.Deliver(b.ctx, id)
		require.NoError(t, err)
	}
	assert.Equal(t, 2, b.pump(t).Deliveries, "the rest after the backlog drained")
	for _, id := range []int64{clicks.ID, all.ID} {
		_, err := b.disp.Deliver(b.ctx, id)
		require.NoError(t, err)
	}
	var types []events.Type
	for _, req := range rcv.requests() {
		var body struct{ Data []struct{ Type events.Type } }
		require.NoError(t, json.Unmarshal(req.body, &body))
		for _, e := range body.Data {
			types = append(types, e.Type)
		}
	}
	assert.ElementsMatch(t, []events.Type{events.Click, events.Click, // the clicks-only subscription
		events.Sent, events.Click, events.Open, events.Click}, types)
}

func TestTestSendsASignedTestMessage(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 202)
	b := setup(t, webhook.Config{Policy: loopback})
	sub := b.add(t, rcv.URL)
	a, err := b.disp.Test(b.ctx, sub.ID)
	require.NoError(t, err)
	assert.True(t, a.OK())
	assert.Equal(t, 202, a.Status)
	req := rcv.requests()[0]
	require.NoError(t, verify(sub.Secret, req.header, req.body, b.clock.Now()))
	assert.Contains(t, string(req.body), `"type":"kirje.test"`)

	_, err = b.disp.Test(b.ctx, sub.ID+1000)
	assert.ErrorIs(t, err, webhook.ErrNotFound)
}

func nextAttempt(t *testing.T, b bundle, sub int64) time.Time {
	t.Helper()
	var next time.Time
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), `
SELECT next_attempt_at FROM webhook_deliveries WHERE subscription_id = $1 AND status = 'pending' ORDER BY id LIMIT 1`,
		sub).Scan(&next))
	return next
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, json.Unmarshal([]byte(s), &n))
	return n
}
