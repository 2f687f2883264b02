package campaign

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/register"
)

// explain returns the plan of sql with args as text.
func explain(t *testing.T, db *pgtest.DB, sql string, args ...any) string {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), "EXPLAIN "+sql, args...)
	require.NoError(t, err)
	var plan []string
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		plan = append(plan, line)
	}
	require.NoError(t, rows.Err())
	return strings.Join(plan, "\n")
}

// planCampaign creates a campaign to hang a hand-made ledger on.
func planCampaign(t *testing.T, db *pgtest.DB) Campaign {
	t.Helper()
	ctx := context.Background()
	brand, err := register.New(db.Pool).CreateBrand(ctx, register.BrandInput{
		Name: "plan", From: "News <news@plan.example>", PostalAddress: "Hämeenkatu 1, 33100 Tampere", Relay: "default"})
	require.NoError(t, err)
	f, err := ParseFilter([]byte(`{}`))
	require.NoError(t, err)
	c, err := New(db.Pool).Create(ctx, Input{BrandID: brand.ID, Name: "plan", Subject: "s", HTML: "<p>x</p>", Segment: f})
	require.NoError(t, err)
	return c
}

// Asking whether a campaign has open rows, once per batch, and finishing it must read the partial
// index of open rows even when the statistics are from when every row was pending, as late in a
// large campaign: then the planner expected an open row at the start of the table, and answered
// EXISTS by scanning the table past every row already sent.
func TestOpenRowChecksUseTheOpenIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	c := planCampaign(t, db)
	_, err := db.Pool.Exec(ctx, `
INSERT INTO send_ledger (campaign_id, contact_id, batch)
SELECT $1, i, i / 100 FROM generate_series(0, 19999) AS i`, c.ID)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `ANALYZE send_ledger`)
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `UPDATE send_ledger SET status = 'sent' WHERE campaign_id = $1 AND batch < 190`, c.ID)
	require.NoError(t, err)

	for name, plan := range map[string]string{
		"has open":  explain(t, db, hasOpenSQL, c.ID),
		"mark done": explain(t, db, markDoneSQL, c.ID),
	} {
		assert.Contains(t, plan, "send_ledger_open_idx", "%s: open rows found through their index", name)
		assert.NotContains(t, plan, "Seq Scan on send_ledger", "%s: not by scanning the ledger", name)
	}

	open, err := HasOpen(ctx, db.Pool, c.ID)
	require.NoError(t, err)
	assert.True(t, open, "batches 190 to 199 are pending")
	_, err = db.Pool.Exec(ctx, `UPDATE send_ledger SET status = 'sent' WHERE campaign_id = $1`, c.ID)
	require.NoError(t, err)
	open, err = HasOpen(ctx, db.Pool, c.ID)
	require.NoError(t, err)
	assert.False(t, open, "every row is sent")
}

// Recording a group of outcomes must look its rows up by primary key even when the planner's
// statistics are older than the ledger, as in the first minute of a large campaign: a ledger
// written in bulk and never analysed, with a thousand rows in flight.
func TestRecordLooksRowsUpByKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	c := planCampaign(t, db)
	_, err := db.Pool.Exec(ctx, `
INSERT INTO send_ledger (campaign_id, contact_id, batch, status)
SELECT $1, i, i / 100, CASE WHEN i < 1000 THEN 'sending' ELSE 'pending' END
FROM generate_series(0, 19999) AS i`, c.ID)
	require.NoError(t, err)

	ids := []int64{3, 5, 8, 13, 21, 34, 55, 89, 144, 233}
	n := len(ids)
	statuses, msgIDs, details := make([]string, n), make([]string, n), make([]string, n)
	notBefore, unattempted, leases := make([]*string, n), make([]bool, n), make([]*string, n)
	for i := range ids {
		statuses[i] = string(SendSent)
	}
	text := explain(t, db, recordSQL, c.ID, ids, statuses, msgIDs, details, notBefore, unattempted, leases)
	assert.Contains(t, text, "send_ledger_pkey", "rows found by key")
	assert.NotContains(t, text, "send_ledger_open_idx", "not by walking the open rows")
	assert.NotContains(t, text, "Seq Scan on send_ledger", "not by scanning the ledger")
}
