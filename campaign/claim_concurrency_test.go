package campaign_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
)

// bulkContacts adds n purchasers in one statement.
func bulkContacts(t testing.TB, b bundle, n int) {
	t.Helper()
	_, err := b.pool.Exec(b.ctx, `
		INSERT INTO contacts (email, first_name, job_title, country)
		SELECT 'buyer' || i || '@bulk.example', 'Buyer', 'Purchasing Manager', 'FI'
		FROM generate_series(1, $1) AS i`, n)
	require.NoError(t, err)
}

func TestConcurrentClaimsNeverOverlap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const rows, workers = 2000, 8
	bulkContacts(t, b, rows)
	c, res := runningCampaign(t, b, rows)
	require.Equal(t, 1, res.Batches)

	var (
		mu      sync.Mutex
		claimed = map[int64]int{}
		wg      sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				rs, err := campaign.Claim(b.ctx, b.pool, c.ID, 0, time.Hour, 13)
				if !assert.NoError(t, err) || len(rs) == 0 {
					return
				}
				outcomes := make([]campaign.Outcome, len(rs))
				mu.Lock()
				for i, r := range rs {
					claimed[r.ContactID]++
					outcomes[i] = campaign.Outcome{ContactID: r.ContactID, Status: campaign.SendSent}
				}
				mu.Unlock()
				_, err = campaign.Record(b.ctx, b.pool, c.ID, outcomes)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()

	require.Len(t, claimed, rows, "every row was claimed")
	for id, n := range claimed {
		require.Equal(t, 1, n, "contact %d was claimed %d times", id, n)
	}
	assert.Equal(t, campaign.Counts{Audience: rows, Sent: rows}, counts(t, b, c.ID))
}
