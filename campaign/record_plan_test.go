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

// Recording a group of outcomes must look its rows up by primary key even when the planner's
// statistics are older than the ledger, as in the first minute of a large campaign: a ledger
// written in bulk and never analysed, with a thousand rows in flight.
func TestRecordLooksRowsUpByKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	brand, err := register.New(db.Pool).CreateBrand(ctx, register.BrandInput{
		Name: "plan", From: "News <news@plan.example>", PostalAddress: "Hämeenkatu 1, 33100 Tampere", Relay: "default"})
	require.NoError(t, err)
	f, err := ParseFilter([]byte(`{}`))
	require.NoError(t, err)
	c, err := New(db.Pool).Create(ctx, Input{BrandID: brand.ID, Name: "plan", Subject: "s", HTML: "<p>x</p>", Segment: f})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `
INSERT INTO send_ledger (campaign_id, contact_id, batch, status)
SELECT $1, i, i / 100, CASE WHEN i < 1000 THEN 'sending' ELSE 'pending' END
FROM generate_series(0, 19999) AS i`, c.ID)
	require.NoError(t, err)

	ids := []int64{3, 5, 8, 13, 21, 34, 55, 89, 144, 233}
	n := len(ids)
	statuses, msgIDs, details := make([]string, n), make([]string, n), make([]string, n)
	notBefore, unattempted := make([]*string, n), make([]bool, n)
	for i := range ids {
		statuses[i] = string(SendSent)
	}
	rows, err := db.Pool.Query(ctx, "EXPLAIN "+recordSQL, c.ID, ids, statuses, msgIDs, details, notBefore, unattempted)
	require.NoError(t, err)
	var plan []string
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		plan = append(plan, line)
	}
	require.NoError(t, rows.Err())
	text := strings.Join(plan, "\n")
	assert.Contains(t, text, "send_ledger_pkey", "rows found by key")
	assert.NotContains(t, text, "send_ledger_open_idx", "not by walking the open rows")
	assert.NotContains(t, text, "Seq Scan on send_ledger", "not by scanning the ledger")
}
