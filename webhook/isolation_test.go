package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/webhook"
)

// End to end through asynq: an endpoint that never answers holds its own task until the
// timeout; another subscription's deliveries arrive meanwhile.
func TestASlowEndpointDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(hang) })
	fast := newReceiver(t, 200)
	const timeout = 4 * time.Second
	b := setup(t, webhook.Config{Policy: loopback, Timeout: timeout, Now: time.Now})
	stuck := b.add(t, slow.URL)
	b.add(t, fast.URL)

	srv := asynq.NewServerFromRedisClient(b.rd.Client, asynq.Config{
		Concurrency: 2, Queues: map[string]int{b.queue: 1}, LogLevel: asynq.FatalLevel,
		TaskCheckInterval: 20 * time.Millisecond, DelayedTaskCheckInterval: 20 * time.Millisecond,
	})
	mux := asynq.NewServeMux()
	for typ, h := range b.disp.Handlers() {
		mux.Handle(typ, h)
	}
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)

	b.emit(t, events.Sent, events.Open, events.Click)
	start := time.Now()
	assert.Equal(t, 2, b.pump(t).Enqueued)
	require.Eventually(t, func() bool { return len(fast.acceptedIDs(t)) == 3 }, timeout, 10*time.Millisecond,
		"the healthy endpoint gets its events while the other hangs")
	assert.Less(t, time.Since(start), timeout)

	require.Eventually(t, func() bool {
		sub, err := b.disp.Store().Get(b.ctx, stuck.ID)
		return err == nil && strings.Contains(sub.LastError, "timed out")
	}, 3*timeout, 20*time.Millisecond, "the hanging endpoint's attempt times out and is retried later")
}
