package worker

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/internal/pgtest"
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
