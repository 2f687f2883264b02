package privacy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
)

// An open that the ingester is storing while the person is erased is anonymised with the rest:
// the erasure waits for the ingest round (on the advisory lock that orders them), and its Forget
// then sees the round's events.
func TestEraseWaitsForAnIngestRoundInFlight(t *testing.T) {
	t.Parallel()
	e := setup(t)
	anna := fixture.Contact(t, e.db.Pool, "anna@yritys.fi", "Buyer")
	rec := events.NewRecorder(e.rd.Client.Options(), events.RecorderConfig{Prefix: e.rd.Prefix})
	t.Cleanup(rec.Close)
	require.NoError(t, rec.Record(e.ctx, events.Event{Type: events.Open, CampaignID: 1, ContactID: anna.ID,
		IP: "192.0.2.7", UserAgent: "Mail"}))

	// Hold the round after it looked its contacts up, before its COPY.
	hold, err := e.db.Pool.Begin(e.ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = hold.Rollback(e.ctx) })
	_, err = hold.Exec(e.ctx, `LOCK TABLE events IN SHARE MODE`)
	require.NoError(t, err)
	waitsFor := func(cond, what string) {
		t.Helper()
		require.Eventually(t, func() bool {
			var n int
			err := e.db.Pool.QueryRow(e.ctx, `SELECT count(*) FROM pg_locks WHERE NOT granted AND `+cond).Scan(&n)
			return err == nil && n > 0
		}, 10*time.Second, 5*time.Millisecond, what)
	}
	drained := make(chan error, 1)
	go func() {
		_, err := events.NewIngester(e.rd.Client, e.db.Pool, events.IngesterConfig{Prefix: e.rd.Prefix, Consumer: "a"}).Drain(e.ctx)
		drained <- err
	}()
	waitsFor(`relation = 'events'::regclass AND mode = 'RowExclusiveLock'`, "the round's COPY waits")

	erased := make(chan error, 1)
	go func() {
		_, err := e.svc.Erase(e.ctx, "anna@yritys.fi", by("pirjo"))
		erased <- err
	}()
	waitsFor(`locktype = 'advisory' AND mode = 'ExclusiveLock' AND objid = hashtext(current_schema())::oid`,
		"the erasure waits for the round, before it forgets anything")
	require.NoError(t, hold.Rollback(e.ctx))
	require.NoError(t, <-drained)
	require.NoError(t, <-erased)

	var named, withClientData, opens int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT count(*) FILTER (WHERE contact_id = $1),
		count(*) FILTER (WHERE ip IS NOT NULL OR user_agent IS NOT NULL), count(*) FILTER (WHERE type = 'open')
		FROM events`, anna.ID).Scan(&named, &withClientData, &opens))
	assert.Equal(t, 1, opens, "the open is counted")
	assert.Zero(t, named, "no event names the erased contact")
	assert.Zero(t, withClientData, "no IP address or user agent is left")
}
