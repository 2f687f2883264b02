package privacy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
)

// An open that is being stored while the person is erased is anonymised with the rest: the
// erasure waits for the transaction storing it (which holds erasures off, as every ingest round
// does), and then sees its event.
func TestEraseWaitsForAnIngestRoundInFlight(t *testing.T) {
	t.Parallel()
	e := setup(t)
	anna := fixture.Contact(t, e.db.Pool, "anna@yritys.fi", "Buyer")

	round, err := e.db.Pool.Begin(e.ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = round.Rollback(e.ctx) })
	require.NoError(t, events.HoldErasures(e.ctx, round))
	_, err = events.Copy(e.ctx, round, []events.Event{{Type: events.Open, CampaignID: 1, ContactID: anna.ID,
		IP: "192.0.2.7", UserAgent: "Mail"}})
	require.NoError(t, err)

	erased := make(chan error, 1)
	go func() {
		_, err := e.svc.Erase(e.ctx, "anna@yritys.fi", by("pirjo"))
		erased <- err
	}()
	require.Eventually(t, func() bool {
		var n int
		err := e.db.Pool.QueryRow(e.ctx, `SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'advisory'
			AND mode = 'ExclusiveLock' AND objid = hashtext(current_schema())::oid`).Scan(&n)
		return err == nil && n > 0
	}, 10*time.Second, 5*time.Millisecond, "the erasure waits for the round before it forgets the contact's events")
	require.NoError(t, round.Commit(e.ctx))
	require.NoError(t, <-erased)

	var named, withClientData, opens int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT count(*) FILTER (WHERE contact_id = $1),
		count(*) FILTER (WHERE ip IS NOT NULL OR user_agent IS NOT NULL), count(*) FILTER (WHERE type = 'open')
		FROM events`, anna.ID).Scan(&named, &withClientData, &opens))
	assert.Equal(t, 1, opens, "the open is counted")
	assert.Zero(t, named, "no event names the erased contact")
	assert.Zero(t, withClientData, "no IP address or user agent is left")
}
