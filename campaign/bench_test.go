package campaign_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
)

// bigRegister adds n contacts in one statement: one in ten works in purchasing, one in forty is
// banned, one in twenty is b2c (a third of those with consent), every fifth has no company.
func bigRegister(b *testing.B, bd bundle, n int) {
	b.Helper()
	_, err := bd.pool.Exec(bd.ctx, `
		INSERT INTO companies (name, country) SELECT 'Company ' || i, 'FI' FROM generate_series(1, 1000) AS i;
		`)
	require.NoError(b, err)
	_, err = bd.pool.Exec(bd.ctx, `
		INSERT INTO contacts (email, first_name, last_name, job_title, country, company_id, kind, banned_at, consent_at, attributes)
		SELECT 'person' || i || '@company' || (i % 1000) || '.example', 'First' || i, 'Last' || i,
		       CASE WHEN i % 10 = 0 THEN 'Purchasing Manager' ELSE 'Engineer' END, 'FI',
		       CASE WHEN i % 5 = 0 THEN NULL ELSE (SELECT min(id) FROM companies) + i % 1000 END,
		       CASE WHEN i % 20 = 0 THEN 'b2c' ELSE 'b2b' END,
		       CASE WHEN i % 40 = 0 THEN now() END, CASE WHEN i % 60 = 0 THEN now() END,
		       jsonb_build_object('employees', i % 500)
		FROM generate_series(1, $1) AS i`, n)
	require.NoError(b, err)
	_, err = bd.pool.Exec(bd.ctx, `ANALYZE contacts; ANALYZE companies`)
	require.NoError(b, err)
}

func startCampaign(b *testing.B, bd bundle, brand int64, segment campaign.Filter) campaign.Campaign {
	b.Helper()
	in := input(brand)
	in.Segment = segment
	c, err := bd.store.Create(bd.ctx, in)
	require.NoError(b, err)
	c, err = bd.store.Schedule(bd.ctx, c.ID, now())
	require.NoError(b, err)
	return c
}

// BenchmarkMaterialize writes a 1,000,000-contact audience into the ledger, in the transaction
// that marks the campaign running, as the worker does. Run with -benchtime=3x: one op is seconds.
func BenchmarkMaterialize(b *testing.B) {
	const contacts = 1_000_000
	bd := setup(b)
	bigRegister(b, bd, contacts)
	brand := addBrand(b, bd, "Bench")
	for _, bc := range []struct {
		name    string
		segment campaign.Filter
	}{
		{"everyone", campaign.Filter{}},
		{"purchasers", campaign.Match("title", campaign.OpContains, "purchas")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var res campaign.MaterializeResult
			for b.Loop() {
				b.StopTimer()
				c := startCampaign(b, bd, brand, bc.segment)
				b.StartTimer()
				tx, err := bd.pool.Begin(bd.ctx)
				require.NoError(b, err)
				c, err = campaign.New(tx).MarkRunning(bd.ctx, c.ID, c.ScheduleVersion)
				require.NoError(b, err)
				res, err = campaign.Materialize(bd.ctx, tx, c, 100)
				require.NoError(b, err)
				require.NoError(b, tx.Commit(bd.ctx))
			}
			b.ReportMetric(float64(res.Audience), "rows/op")
			b.ReportMetric(float64(res.Audience)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkClaimRecord claims a batch of 100 rows of a 1,000,000-row ledger and records them
// sent: the ledger's cost per batch task.
func BenchmarkClaimRecord(b *testing.B) {
	const contacts = 1_000_000
	bd := setup(b)
	bigRegister(b, bd, contacts)
	c := startCampaign(b, bd, addBrand(b, bd, "Bench"), campaign.Filter{})
	c, err := bd.store.MarkRunning(bd.ctx, c.ID, c.ScheduleVersion)
	require.NoError(b, err)
	res, err := campaign.Materialize(bd.ctx, bd.pool, c, 100)
	require.NoError(b, err)
	_, err = bd.pool.Exec(bd.ctx, `ANALYZE send_ledger`)
	require.NoError(b, err)

	batch := 0
	outcomes := make([]campaign.Outcome, 0, 100)
	for b.Loop() {
		if batch == res.Batches {
			b.Fatal("ran out of batches")
		}
		rs, err := campaign.Claim(bd.ctx, bd.pool, c.ID, batch, time.Minute, 100)
		require.NoError(b, err)
		outcomes = outcomes[:0]
		for _, r := range rs {
			outcomes = append(outcomes, campaign.Outcome{ContactID: r.ContactID, Status: campaign.SendSent,
				MessageID: fmt.Sprintf("<%d.%d@bench>", c.ID, r.ContactID)})
		}
		_, err = campaign.Record(bd.ctx, bd.pool, c.ID, outcomes)
		require.NoError(b, err)
		batch++
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "rows/s")
}
