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
// ledger row and reports none of its outcomes again; a different message to a row that has its
// outcome is reported.
func TestWriteOutcomesReportsEachOutcomeOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	brand := fixture.Brand(t, db.Pool, "once")
	a := fixture.Contact(t, db.Pool, "a@once.example", "Buyer")
	b := fixture.Contact(t, db.Pool, "b@once.example", "Buyer")
	c := fixture.Campaign(t, db.Pool, brand, "")
	_, err := db.Pool.Exec(ctx, `
INSERT INTO send_ledger (campaign_id, contact_id, batch, status)
VALUES ($1, $2, 0, 'sending'), ($1, $3, 0, 'sending')`, c.ID, a.ID, b.ID)
	require.NoError(t, err)
	group := []outcome{
		{campaignID: c.ID, result: campaign.Outcome{ContactID: a.ID, Status: campaign.SendSent, MessageID: "<a@once.example>"},
			event: &events.Event{Type: events.Sent, CampaignID: c.ID, ContactID: a.ID, Data: map[string]any{"message_id": "<a@once.example>"}}},
		{campaignID: c.ID, result: campaign.Outcome{ContactID: b.ID, Status: campaign.SendDropped, Detail: "suppressed"},
			event: &events.Event{Type: events.Dropped, CampaignID: c.ID, ContactID: b.ID, Reason: "suppressed"}},
	}
	for range 2 {
		require.NoError(t, pg.InTx(ctx, db.Pool, func(tx pgx.Tx) error { return writeOutcomes(ctx, tx, group) }))
	}

	rows, err := db.Pool.Query(ctx, `SELECT contact_id, type FROM events WHERE campaign_id = $1 ORDER BY contact_id`, c.ID)
	require.NoError(t, err)
	type reported struct {
		Contact int64
		Type    string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[reported])
	require.NoError(t, err)
	assert.Equal(t, []reported{{a.ID, "sent"}, {b.ID, "dropped"}}, got)

	var statuses []string
	require.NoError(t, db.Pool.QueryRow(ctx, `
SELECT array_agg(status ORDER BY contact_id) FROM send_ledger WHERE campaign_id = $1`, c.ID).Scan(&statuses))
	assert.Equal(t, []string{"sent", "dropped"}, statuses)

	// A worker that stalled past its lease sends after another worker re-claimed the row and sent
	// it: the row keeps the first outcome, but the second message went out too and is reported.
	second := []outcome{{campaignID: c.ID, result: campaign.Outcome{ContactID: a.ID, Status: campaign.SendSent, MessageID: "<a2@once.example>"},
		event: &events.Event{Type: events.Sent, CampaignID: c.ID, ContactID: a.ID, Data: map[string]any{"message_id": "<a2@once.example>"}}}}
	require.NoError(t, pg.InTx(ctx, db.Pool, func(tx pgx.Tx) error { return writeOutcomes(ctx, tx, second) }))
	var sent int
	require.NoError(t, db.Pool.QueryRow(ctx, `
SELECT count(*) FROM events WHERE campaign_id = $1 AND contact_id = $2 AND type = 'sent'`, c.ID, a.ID).Scan(&sent))
	assert.Equal(t, 2, sent, "both messages to a are reported")
	var stored string
	require.NoError(t, db.Pool.QueryRow(ctx, `
SELECT message_id FROM send_ledger WHERE campaign_id = $1 AND contact_id = $2`, c.ID, a.ID).Scan(&stored))
	assert.Equal(t, "<a@once.example>", stored, "the ledger keeps the first outcome")
}
