package campaign_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/pg"
)

// audience adds n mailable purchasers plus one banned and one b2c contact without consent that the
// segment also matches, and one contact it does not match. It returns the mailable IDs in order.
func audience(t testing.TB, b bundle, n int) []int64 {
	t.Helper()
	acme := addCompany(t, b, company{Name: "Acme Oy", Country: "FI"})
	var ids []int64
	for i := range n {
		ids = append(ids, addContact(t, b, contact{Email: fmt.Sprintf("buyer%03d@acme.fi", i), FirstName: "Buyer",
			JobTitle: "Purchasing Manager", CompanyID: acme}))
	}
	addContact(t, b, contact{Email: "banned@acme.fi", JobTitle: "Purchaser", Banned: true})
	addContact(t, b, contact{Email: "private@home.fi", JobTitle: "Purchaser", Kind: "b2c"})
	addContact(t, b, contact{Email: "ceo@acme.fi", JobTitle: "CEO"})
	return ids
}

// runningCampaign creates a campaign over the purchasers, starts it and materialises it in one
// transaction, as the worker does.
func runningCampaign(t testing.TB, b bundle, batchSize int) (campaign.Campaign, campaign.MaterializeResult) {
	t.Helper()
	c := createCampaign(t, b, input(addBrand(t, b, fmt.Sprintf("brand-%d", time.Now().UnixNano()))))
	c, err := b.store.Schedule(b.ctx, c.ID, now())
	require.NoError(t, err)
	tx, err := b.pool.Begin(b.ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(b.ctx) }()
	c, err = campaign.New(tx).MarkRunning(b.ctx, c.ID, c.ScheduleVersion)
	require.NoError(t, err)
	res, err := campaign.Materialize(b.ctx, tx, c, batchSize)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(b.ctx))
	return c, res
}

func counts(t testing.TB, b bundle, id int64) campaign.Counts {
	t.Helper()
	got, err := campaign.LedgerCounts(b.ctx, b.pool, id)
	require.NoError(t, err)
	return got
}

func TestMaterializeIsIdempotentAndFreezesTheAudience(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := audience(t, b, 25)
	c, res := runningCampaign(t, b, 10)
	assert.Equal(t, campaign.MaterializeResult{Audience: 27, Dropped: 2, Batches: 3, Written: true}, res)

	var perBatch []int
	require.NoError(t, b.pool.QueryRow(b.ctx, `
		SELECT array_agg(n ORDER BY batch) FROM (SELECT batch, count(*)::int AS n FROM send_ledger
		WHERE campaign_id = $1 GROUP BY batch) x`, c.ID).Scan(&perBatch))
	assert.Equal(t, []int{2, 10, 10, 5}, perBatch, "dropped rows in batch -1, then full batches")

	var dropped []string
	require.NoError(t, b.pool.QueryRow(b.ctx, `
		SELECT array_agg(detail ORDER BY detail) FROM send_ledger
		WHERE campaign_id = $1 AND status = 'dropped' AND batch = $2`, c.ID, campaign.DroppedBatch).Scan(&dropped))
	assert.Equal(t, []string{"banned", "no_consent"}, dropped)

	var first, last int64
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT min(contact_id), max(contact_id) FROM send_ledger
		WHERE campaign_id = $1 AND batch = 0`, c.ID).Scan(&first, &last))
	assert.Equal(t, []int64{ids[0], ids[9]}, []int64{first, last}, "batches follow contact ID order")

	addContact(t, b, contact{Email: "late@acme.fi", JobTitle: "Purchaser"})
	again, err := campaign.Materialize(b.ctx, b.pool, c, 10)
	require.NoError(t, err)
	res.Written = false
	assert.Equal(t, res, again, "a rerun adds nothing and describes the ledger")
	assert.Equal(t, int64(27), counts(t, b, c.ID).Audience)
}

func TestConcurrentStartsMaterializeOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	audience(t, b, 50)
	c := createCampaign(t, b, input(addBrand(t, b, "Acme")))
	c, err := b.store.Schedule(b.ctx, c.ID, now())
	require.NoError(t, err)

	_, err = campaign.Materialize(b.ctx, b.pool, c, 10)
	require.ErrorIs(t, err, campaign.ErrNotRunning, "a scheduled campaign has no ledger yet")

	const starters = 4
	results := make(chan campaign.MaterializeResult, starters)
	var wg sync.WaitGroup
	for range starters {
		wg.Go(func() {
			err := pg.InTx(b.ctx, b.pool, func(tx pgx.Tx) error {
				running, err := campaign.New(tx).MarkRunning(b.ctx, c.ID, c.ScheduleVersion)
				if err != nil {
					return err
				}
				res, err := campaign.Materialize(b.ctx, tx, running, 10)
				results <- res
				return err
			})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	close(results)
	written := 0
	for res := range results {
		if res.Written {
			written++
		}
		res.Written = false
		assert.Equal(t, campaign.MaterializeResult{Audience: 52, Dropped: 2, Batches: 5}, res)
	}
	assert.Equal(t, 1, written, "one start writes the ledger, the others find it")
	assert.Equal(t, int64(52), counts(t, b, c.ID).Audience)
}

func TestMaterializeEmptyAudience(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c, res := runningCampaign(t, b, 10)
	assert.Equal(t, campaign.MaterializeResult{}, res)
	open, err := campaign.HasOpen(b.ctx, b.pool, c.ID)
	require.NoError(t, err)
	assert.False(t, open)
	_, err = b.store.MarkDone(b.ctx, c.ID)
	assert.NoError(t, err, "a campaign with nobody to send to is done at once")
}

func TestClaimAndRecord(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := audience(t, b, 5)
	c, _ := runningCampaign(t, b, 100)

	rs, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 3)
	require.NoError(t, err)
	require.Len(t, rs, 3)
	assert.Equal(t, ids[0], rs[0].ContactID)
	assert.Equal(t, 1, rs[0].Attempts)
	require.NotNil(t, rs[0].Contact)
	assert.Equal(t, "buyer000@acme.fi", rs[0].Contact.Email)
	assert.Equal(t, "Purchasing Manager", rs[0].Contact.JobTitle)
	require.NotNil(t, rs[0].Company)
	assert.Equal(t, "Acme Oy", rs[0].Company.Name)
	assert.Equal(t, rs[0].Company.ID, rs[0].Contact.CompanyID)
	assert.Equal(t, campaign.Counts{Audience: 7, Pending: 2, Sending: 3, Dropped: 2}, counts(t, b, c.ID))

	n, err := campaign.Record(b.ctx, b.pool, c.ID, []campaign.Outcome{
		{ContactID: ids[0], Status: campaign.SendSent, MessageID: "<1@kirje>"},
		{ContactID: ids[1], Status: campaign.SendBounced, Detail: "550 5.1.1 no such user"},
		{ContactID: ids[2], Status: campaign.SendDropped, Detail: "unsubscribe"},
	})
	require.NoError(t, err)
	assert.EqualValues(t, 3, n)
	assert.Equal(t, campaign.Counts{Audience: 7, Pending: 2, Sent: 1, Dropped: 3, Bounced: 1}, counts(t, b, c.ID))

	var msgID string
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT message_id FROM send_ledger WHERE campaign_id = $1 AND contact_id = $2`,
		c.ID, ids[0]).Scan(&msgID))
	assert.Equal(t, "<1@kirje>", msgID)

	rs, err = campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 100)
	require.NoError(t, err)
	require.Len(t, rs, 2, "finished rows are never claimed again")
	assert.Equal(t, []int64{ids[3], ids[4]}, []int64{rs[0].ContactID, rs[1].ContactID})

	_, err = campaign.Record(b.ctx, b.pool, c.ID, []campaign.Outcome{{ContactID: 1, Status: campaign.SendSending}})
	assert.ErrorContains(t, err, "not an outcome")
	_, err = campaign.Record(b.ctx, b.pool, c.ID, []campaign.Outcome{{ContactID: 1, Status: campaign.SendSent}, {ContactID: 1, Status: campaign.SendSent}})
	assert.ErrorContains(t, err, "twice")
}

// A worker that stalled past its lease comes back after another claimed the row: its late
// outcome, naming the old claim, leaves the new claim's row alone; the new claim's outcome lands.
func TestAnOutcomeAppliesOnlyToItsOwnClaim(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := audience(t, b, 1)
	c, _ := runningCampaign(t, b, 100)

	first, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, first, 1)
	assert.False(t, first[0].Lease.IsZero())
	// The first claim's lease runs out.
	_, err = b.pool.Exec(b.ctx, `UPDATE send_ledger SET lease_until = now() - interval '1 second' WHERE campaign_id = $1`, c.ID)
	require.NoError(t, err)
	second, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, second, 1, "an expired claim is claimed again")
	assert.Equal(t, 2, second[0].Attempts)

	for _, o := range []campaign.Outcome{
		{ContactID: ids[0], Status: campaign.SendPending, Unattempted: true, Lease: first[0].Lease},
		{ContactID: ids[0], Status: campaign.SendSent, MessageID: "<late@k>", Lease: first[0].Lease},
	} {
		n, err := campaign.Record(b.ctx, b.pool, c.ID, []campaign.Outcome{o})
		require.NoError(t, err)
		assert.Zero(t, n, "the stalled claim's %s changes nothing", o.Status)
	}
	got := counts(t, b, c.ID)
	assert.Equal(t, [2]int64{1, 0}, [2]int64{got.Sending, got.Sent}, "still the second claim's, unsent")

	n, err := campaign.Record(b.ctx, b.pool, c.ID, []campaign.Outcome{
		{ContactID: ids[0], Status: campaign.SendSent, MessageID: "<b@k>", Lease: second[0].Lease}})
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	got = counts(t, b, c.ID)
	assert.Equal(t, [2]int64{0, 1}, [2]int64{got.Sending, got.Sent})
}

func TestASentRowIsNeverChangedOrClaimedAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := audience(t, b, 1)
	c, _ := runningCampaign(t, b, 100)

	_, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	require.NoError(t, err)
	_, err = campaign.Record(b.ctx, b.pool, c.ID, []campaign.Outcome{{ContactID: ids[0], Status: campaign.SendSent, MessageID: "<a@k>"}})
	require.NoError(t, err)

	// A late or repeated outcome for the same row, and a release, change nothing.
	n, err := campaign.Record(b.ctx, b.pool, c.ID, []campaign.Outcome{{ContactID: ids[0], Status: campaign.SendPending}})
	require.NoError(t, err)
	assert.Zero(t, n)
	n, err = campaign.Release(b.ctx, b.pool, c.ID, []int64{ids[0]})
	require.NoError(t, err)
	assert.Zero(t, n)

	// Even with a lease long past, a sent row is not claimable.
	_, err = b.pool.Exec(b.ctx, `UPDATE send_ledger SET lease_until = now() - interval '1 hour' WHERE campaign_id = $1`, c.ID)
	require.NoError(t, err)
	rs, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, rs)
	assert.Equal(t, campaign.Counts{Audience: 3, Sent: 1, Dropped: 2}, counts(t, b, c.ID))
}

func TestAnExpiredLeaseIsReclaimed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := audience(t, b, 2)
	c, _ := runningCampaign(t, b, 100)

	rs, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Hour, 10)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	rs, err = campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Hour, 10)
	require.NoError(t, err)
	assert.Empty(t, rs, "rows under a live lease are not claimable")

	// The worker died: its lease runs out (set in the past rather than waited for).
	_, err = b.pool.Exec(b.ctx, `UPDATE send_ledger SET lease_until = now() - interval '1 second'
		WHERE campaign_id = $1 AND contact_id = $2`, c.ID, ids[1])
	require.NoError(t, err)
	batches, err := campaign.OpenBatches(b.ctx, b.pool, c.ID)
	require.NoError(t, err)
	require.Len(t, batches, 1)
	assert.Equal(t, campaign.BatchState{Batch: 0, Sending: 2, LeaseExpired: true, Ready: true}, batches[0])

	rs, err = campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Hour, 10)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, ids[1], rs[0].ContactID)
	assert.Equal(t, 2, rs[0].Attempts)
}

func TestDeferralWaitsForNotBefore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := audience(t, b, 2)
	c, _ := runningCampaign(t, b, 100)

	_, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	require.NoError(t, err)
	later := now().Add(time.Hour)
	n, err := campaign.Record(b.ctx, b.pool, c.ID, []campaign.Outcome{
		{ContactID: ids[0], Status: campaign.SendPending, Detail: "421 try later", NotBefore: later},
		{ContactID: ids[1], Status: campaign.SendPending, Detail: "throttled", NotBefore: later.Add(time.Minute)},
	})
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)

	rs, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, rs, "a deferred row waits for its time")
	batches, err := campaign.OpenBatches(b.ctx, b.pool, c.ID)
	require.NoError(t, err)
	require.Len(t, batches, 1)
	assert.Equal(t, 2, int(batches[0].Pending))
	assert.True(t, later.Equal(batches[0].NotBefore), "NotBefore is the earliest deferral: %v", batches[0].NotBefore)
	assert.False(t, batches[0].Ready)

	_, err = b.pool.Exec(b.ctx, `UPDATE send_ledger SET not_before = now() - interval '1 second'
		WHERE campaign_id = $1 AND contact_id = $2`, c.ID, ids[0])
	require.NoError(t, err)
	rs, err = campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, ids[0], rs[0].ContactID)
	assert.Equal(t, 2, rs[0].Attempts, "a retry counts as a second attempt")
}

func TestReleaseHandsRowsBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	audience(t, b, 3)
	c, _ := runningCampaign(t, b, 100)

	rs, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Hour, 10)
	require.NoError(t, err)
	n, err := campaign.Release(b.ctx, b.pool, c.ID, []int64{rs[1].ContactID, rs[2].ContactID})
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	assert.Equal(t, campaign.Counts{Audience: 5, Pending: 2, Sending: 1, Dropped: 2}, counts(t, b, c.ID))

	again, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Hour, 10)
	require.NoError(t, err)
	require.Len(t, again, 2)
	assert.Equal(t, 1, again[0].Attempts, "a released claim does not use up an attempt")
}

func TestClaimServesRunningCampaignsOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	audience(t, b, 3)
	c, _ := runningCampaign(t, b, 100)

	_, err := b.store.Pause(b.ctx, c.ID)
	require.NoError(t, err)
	_, err = campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	require.ErrorIs(t, err, campaign.ErrNotRunning)

	_, err = b.store.Resume(b.ctx, c.ID)
	require.NoError(t, err)
	rs, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	require.NoError(t, err)
	assert.Len(t, rs, 3)

	_, err = b.store.MarkDone(b.ctx, c.ID)
	require.ErrorIs(t, err, campaign.ErrOpenSends, "rows in flight keep the campaign running")
	open, err := campaign.HasOpen(b.ctx, b.pool, c.ID)
	require.NoError(t, err)
	assert.True(t, open)
	var outcomes []campaign.Outcome
	for _, r := range rs {
		outcomes = append(outcomes, campaign.Outcome{ContactID: r.ContactID, Status: campaign.SendSent})
	}
	_, err = campaign.Record(b.ctx, b.pool, c.ID, outcomes)
	require.NoError(t, err)
	open, err = campaign.HasOpen(b.ctx, b.pool, c.ID)
	require.NoError(t, err)
	assert.False(t, open)
	c, err = b.store.MarkDone(b.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, campaign.StatusDone, c.Status)
	_, err = campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	assert.ErrorIs(t, err, campaign.ErrNotRunning)
}

func TestAContactErasedDuringTheSend(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := audience(t, b, 2)
	c, _ := runningCampaign(t, b, 100)

	_, err := b.pool.Exec(b.ctx, `DELETE FROM contacts WHERE id = $1`, ids[0])
	require.NoError(t, err)
	rs, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	assert.Equal(t, ids[0], rs[0].ContactID)
	assert.Nil(t, rs[0].Contact, "an erased contact has nothing to render")
	assert.Nil(t, rs[0].Company)
	assert.NotNil(t, rs[1].Contact)
}
