package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/register"
)

// A group committed a second time (as after a commit whose acknowledgement was lost) changes no
// ledger row and reports none of its outcomes again. A different message to a row that has its
// outcome (its worker stalled past the lease) is reported, whether it was sent, bounced or
// refused, and once, even when its own group is committed twice.
func TestWriteOutcomesReportsEachOutcomeOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	brand := fixture.Brand(t, db.Pool, "once")
	a := fixture.Contact(t, db.Pool, "a@once.example", "Buyer")
	b := fixture.Contact(t, db.Pool, "b@once.example", "Buyer")
	c := fixture.Contact(t, db.Pool, "c@once.example", "Buyer")
	camp := fixture.Campaign(t, db.Pool, brand, "")
	_, err := db.Pool.Exec(ctx, `
INSERT INTO send_ledger (campaign_id, contact_id, batch, status)
VALUES ($1, $2, 0, 'sending'), ($1, $3, 0, 'sending'), ($1, $4, 0, 'sending')`, camp.ID, a.ID, b.ID, c.ID)
	require.NoError(t, err)
	out := func(contact int64, status campaign.SendStatus, typ events.Type, msgID string) outcome {
		ev := &events.Event{Type: typ, CampaignID: camp.ID, ContactID: contact}
		if msgID != "" {
			ev.Data = map[string]any{"message_id": msgID}
		}
		return outcome{campaignID: camp.ID, event: ev,
			result: campaign.Outcome{ContactID: contact, Status: status, MessageID: msgID}}
	}
	commitTwice := func(group []outcome) {
		t.Helper()
		for range 2 {
			require.NoError(t, pg.InTx(ctx, db.Pool, func(tx pgx.Tx) error { return writeOutcomes(ctx, tx, group) }))
		}
	}
	type reported struct {
		Contact   int64
		Type      string
		MessageID string
	}
	reports := func() []reported {
		t.Helper()
		rows, err := db.Pool.Query(ctx, `
SELECT contact_id, type, coalesce(data->>'message_id', '') FROM events
WHERE campaign_id = $1 ORDER BY contact_id, id`, camp.ID)
		require.NoError(t, err)
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[reported])
		require.NoError(t, err)
		return got
	}

	commitTwice([]outcome{
		out(a.ID, campaign.SendSent, events.Sent, "<a1@once.example>"),
		out(b.ID, campaign.SendDropped, events.Dropped, ""),
		out(c.ID, campaign.SendBounced, events.Bounce, "<c1@once.example>"),
	})
	assert.Equal(t, []reported{
		{a.ID, "sent", "<a1@once.example>"}, {b.ID, "dropped", ""}, {c.ID, "bounce", "<c1@once.example>"},
	}, reports(), "each outcome once")
	var statuses []string
	require.NoError(t, db.Pool.QueryRow(ctx, `
SELECT array_agg(status ORDER BY contact_id) FROM send_ledger WHERE campaign_id = $1`, camp.ID).Scan(&statuses))
	assert.Equal(t, []string{"sent", "dropped", "bounced"}, statuses)

	// Workers that stalled past their leases offered messages after the rows were claimed again
	// and given their outcomes: the rows keep those, but the late messages went out too.
	commitTwice([]outcome{
		out(a.ID, campaign.SendSent, events.Sent, "<a2@once.example>"),
		out(b.ID, campaign.SendBounced, events.Bounce, "<b2@once.example>"),
		out(c.ID, campaign.SendFailed, events.Failed, "<c2@once.example>"),
	})
	assert.Equal(t, []reported{
		{a.ID, "sent", "<a1@once.example>"}, {a.ID, "sent", "<a2@once.example>"},
		{b.ID, "dropped", ""}, {b.ID, "bounce", "<b2@once.example>"},
		{c.ID, "bounce", "<c1@once.example>"}, {c.ID, "failed", "<c2@once.example>"},
	}, reports(), "each late message once")
	var stored []string
	require.NoError(t, db.Pool.QueryRow(ctx, `
SELECT array_agg(coalesce(message_id, '') ORDER BY contact_id) FROM send_ledger WHERE campaign_id = $1`, camp.ID).Scan(&stored))
	assert.Equal(t, []string{"<a1@once.example>", "", "<c1@once.example>"}, stored, "the ledger keeps the first outcomes")
}

// A row with two outcomes in one group (a stalled worker's late bounce beside the new claim's
// send, in either order) takes the new claim's, and both are reported once, however often the
// group is committed.
func TestWriteOutcomesTakesARowTwiceInOneGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	brand := fixture.Brand(t, db.Pool, "twice")
	camp := fixture.Campaign(t, db.Pool, brand, "")
	oldLease, newLease := time.Now().Add(-time.Minute).Truncate(time.Microsecond), time.Now().Add(time.Hour).Truncate(time.Microsecond)
	for i, lateFirst := range []bool{true, false} {
		ct := fixture.Contact(t, db.Pool, fmt.Sprintf("c%d@twice.example", i), "Buyer")
		_, err := db.Pool.Exec(ctx, `
INSERT INTO send_ledger (campaign_id, contact_id, batch, status, lease_until) VALUES ($1, $2, 0, 'sending', $3)`,
			camp.ID, ct.ID, newLease)
		require.NoError(t, err)
		lateID, newID := fmt.Sprintf("<late%d@twice.example>", i), fmt.Sprintf("<new%d@twice.example>", i)
		late := outcome{campaignID: camp.ID,
			result: campaign.Outcome{ContactID: ct.ID, Status: campaign.SendBounced, MessageID: lateID, Lease: oldLease},
			event:  &events.Event{Type: events.Bounce, CampaignID: camp.ID, ContactID: ct.ID, Data: map[string]any{"message_id": lateID}}}
		current := outcome{campaignID: camp.ID,
			result: campaign.Outcome{ContactID: ct.ID, Status: campaign.SendSent, MessageID: newID, Lease: newLease},
			event:  &events.Event{Type: events.Sent, CampaignID: camp.ID, ContactID: ct.ID, Data: map[string]any{"message_id": newID}}}
		group := []outcome{current, late}
		if lateFirst {
			group = []outcome{late, current}
		}
		for range 2 {
			require.NoError(t, pg.InTx(ctx, db.Pool, func(tx pgx.Tx) error { return writeOutcomes(ctx, tx, group) }), "late first: %v", lateFirst)
		}

		var status, msgID string
		require.NoError(t, db.Pool.QueryRow(ctx, `
SELECT status, message_id FROM send_ledger WHERE campaign_id = $1 AND contact_id = $2`, camp.ID, ct.ID).Scan(&status, &msgID))
		assert.Equal(t, []string{"sent", newID}, []string{status, msgID}, "late first: %v", lateFirst)
		var reported []string
		require.NoError(t, db.Pool.QueryRow(ctx, `
SELECT array_agg(type || ' ' || (data->>'message_id') ORDER BY type) FROM events
WHERE campaign_id = $1 AND contact_id = $2`, camp.ID, ct.ID).Scan(&reported))
		assert.Equal(t, []string{"bounce " + lateID, "sent " + newID}, reported, "late first: %v", lateFirst)
	}
}

// A batch learns that its outcomes failed to commit even when a later group committed before it
// asked, and it does not count as committed before every outcome up to its own is.
func TestLedgerWriterWaitSeesTheFailureOfItsOwnGroup(t *testing.T) {
	t.Parallel()
	w := newLedgerWriter(nil, nil)
	var seqs []uint64
	for range 5 {
		seqs = append(seqs, w.submit(outcome{}))
	}
	require.Equal(t, []uint64{1, 2, 3, 4, 5}, seqs)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	ctx := context.Background()
	errDown := errors.New("database down")

	w.settle([]outcome{{seq: 2}}, nil) // 2 overtook 1 in the queue
	assert.ErrorIs(t, w.wait(cancelled, 2, 2), context.Canceled, "1 is not settled, so 2 is not yet counted")
	w.settle([]outcome{{seq: 1}}, errDown)
	w.settle([]outcome{{seq: 3}, {seq: 4}}, nil)
	assert.ErrorIs(t, w.wait(ctx, 1, 1), errDown, "a later group's success hides nothing")
	assert.NoError(t, w.wait(ctx, 2, 2))
	assert.NoError(t, w.wait(ctx, 3, 4))
	assert.ErrorIs(t, w.wait(ctx, 1, 4), errDown)
	assert.ErrorIs(t, w.wait(cancelled, 5, 5), context.Canceled)
	w.settle([]outcome{{seq: 5}}, nil)
	assert.NoError(t, w.wait(ctx, 5, 5))
}

// An outcome that arrives after its contact was erased (the row was claimed before the erasure)
// names nobody: the address is scrubbed from the ledger detail and the event's reason, the event
// has no contact, and reasons without the address stay.
func TestWriteOutcomesOfAnErasedContactNameNobody(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	brand := fixture.Brand(t, db.Pool, "erased")
	camp := fixture.Campaign(t, db.Pool, brand, "")
	gone := fixture.Contact(t, db.Pool, "maija@erased.example", "Buyer")
	dropped := fixture.Contact(t, db.Pool, "pekka@erased.example", "Buyer")
	kept := fixture.Contact(t, db.Pool, "kept@erased.example", "Buyer")
	_, err := db.Pool.Exec(ctx, `
INSERT INTO send_ledger (campaign_id, contact_id, batch, status)
VALUES ($1, $2, 0, 'sending'), ($1, $3, 0, 'sending'), ($1, $4, 0, 'sending')`, camp.ID, gone.ID, dropped.ID, kept.ID)
	require.NoError(t, err)
	for _, id := range []int64{gone.ID, dropped.ID} {
		require.NoError(t, register.New(db.Pool).DeleteContact(ctx, id))
	}

	reply := func(email string) string { return "550 5.1.1 <" + email + ">: no such user" }
	bounce := func(c register.Contact, msgID string) outcome {
		return outcome{campaignID: camp.ID, address: c.Email,
			result: campaign.Outcome{ContactID: c.ID, Status: campaign.SendBounced, MessageID: msgID, Detail: reply(c.Email)},
			event: &events.Event{Type: events.Bounce, CampaignID: camp.ID, ContactID: c.ID, BrandID: brand.ID,
				Reason: reply(c.Email), Data: map[string]any{"kind": "hard", "message_id": msgID}}}
	}
	// Erased before its row was claimed: the claim found no contact, and the worker drops it.
	drop := outcome{campaignID: camp.ID,
		result: campaign.Outcome{ContactID: dropped.ID, Status: campaign.SendDropped, Detail: "erased"},
		event:  &events.Event{Type: events.Dropped, CampaignID: camp.ID, ContactID: dropped.ID, BrandID: brand.ID, Reason: "erased"}}
	group := []outcome{bounce(gone, "<g@erased.example>"), drop, bounce(kept, "<k@erased.example>")}
	require.NoError(t, pg.InTx(ctx, db.Pool, func(tx pgx.Tx) error { return writeOutcomes(ctx, tx, group) }))

	var details []string
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT array_agg(status || ' ' || coalesce(detail, '') ORDER BY contact_id)
FROM send_ledger WHERE campaign_id = $1`, camp.ID).Scan(&details))
	assert.Equal(t, []string{"bounced " + reply(events.Erased), "dropped erased", "bounced " + reply(kept.Email)}, details)

	type reported struct {
		Contact      int64
		Type, Reason string
		Kind         string
	}
	evRows, err := db.Pool.Query(ctx, `SELECT coalesce(contact_id, 0), type, coalesce(reason, ''), coalesce(data->>'kind', '')
FROM events WHERE campaign_id = $1 ORDER BY type, reason`, camp.ID)
	require.NoError(t, err)
	got, err := pgx.CollectRows(evRows, pgx.RowToStructByPos[reported])
	require.NoError(t, err)
	assert.Equal(t, []reported{
		{0, "bounce", reply(events.Erased), "hard"},
		{kept.ID, "bounce", reply(kept.Email), "hard"},
		{0, "dropped", "erased", ""},
	}, got)
	var traces int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT
  (SELECT count(*) FROM events WHERE strpos(reason || coalesce(data::text, ''), 'maija') > 0) +
  (SELECT count(*) FROM send_ledger WHERE strpos(detail, 'maija') > 0)`).Scan(&traces))
	assert.Zero(t, traces, "the erased address is nowhere")
}

// An erasure that begins while a group is being written waits for it, and then finds what the
// group wrote: the contact's lock is held until the group commits.
func TestErasureWaitsForTheGroupThatHoldsItsContact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	c := fixture.Contact(t, db.Pool, "liisa@hold.example", "Buyer")
	tx, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	missing, err := register.New(tx).HoldContacts(ctx, []int64{c.ID, c.ID + 1000})
	require.NoError(t, err)
	assert.Equal(t, map[int64]bool{c.ID + 1000: true}, missing)

	// The erasure's first step, locking its contact, waits for the holder.
	waiter, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = waiter.Rollback(ctx) }()
	_, err = waiter.Exec(ctx, `SET LOCAL lock_timeout = '200ms'`)
	require.NoError(t, err)
	_, err = waiter.Exec(ctx, `SELECT id FROM contacts WHERE email = $1 FOR UPDATE`, c.Email)
	require.Error(t, err, "the erasure must wait while a group holds the contact")
	require.NoError(t, waiter.Rollback(ctx))

	require.NoError(t, tx.Commit(ctx))
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT id FROM contacts WHERE email = $1 FOR UPDATE`, c.Email).Scan(new(int64)))
}
