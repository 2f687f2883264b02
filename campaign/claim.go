package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/register"
)

// Recipient is a claimed ledger row with what rendering needs.
type Recipient struct {
	ContactID int64
	Attempts  int // claims of this row so far, this one included
	// Lease is when this claim's lease ends. It also names the claim: pass it on as
	// Outcome.Lease, so that the outcome applies only while the row is still this claim's.
	Lease time.Time
	// Contact is the contact as it is now (check Contact.Mailable again: a ban may have come
	// since materialisation); nil when the contact was erased since, which the worker records as
	// dropped.
	Contact *register.Contact
	Company *register.Company // nil when the contact has no company
}

// claimSQL hands out up to $4 claimable rows of one batch. The MATERIALIZED CTE picks and locks
// the rows once; SKIP LOCKED makes a concurrent claimer of the same batch pass over them, and a
// row whose claim committed meanwhile is re-checked against its new version (status 'sending',
// lease in the future) and left out, so two claimers never get the same row. The redundant
// status IN (…) lets the planner use the partial index send_ledger_open_idx. Rows are only
// handed out while the campaign runs: pause and cancel take effect at the next claim.
const claimSQL = `
WITH picked AS MATERIALIZED (
    SELECT l.contact_id
    FROM send_ledger l
    WHERE l.campaign_id = $1 AND l.batch = $2 AND l.status IN ('pending', 'sending')
      AND ((l.status = 'pending' AND (l.not_before IS NULL OR l.not_before <= now()))
           OR (l.status = 'sending' AND l.lease_until < now()))
      AND EXISTS (SELECT 1 FROM campaigns k WHERE k.id = $1 AND k.status = 'running')
    ORDER BY l.contact_id
    LIMIT $4
    FOR UPDATE OF l SKIP LOCKED
), claimed AS (
    UPDATE send_ledger l
    SET status = 'sending', lease_until = now() + $3::bigint * interval '1 microsecond',
        attempts = l.attempts + 1, updated_at = now()
    FROM picked p
    WHERE l.campaign_id = $1 AND l.contact_id = p.contact_id
    RETURNING l.contact_id, l.attempts, l.lease_until
)
SELECT cl.contact_id, cl.attempts, cl.lease_until,
       c.id, coalesce(c.email, ''), coalesce(c.first_name, ''), coalesce(c.last_name, ''),
       coalesce(c.job_title, ''), coalesce(c.academic_title, ''), coalesce(c.segment, ''),
       coalesce(c.country, ''), coalesce(c.phone, ''), coalesce(c.postal_address, ''),
       coalesce(c.customer_number, ''), coalesce(c.lead_id, ''), coalesce(c.company_id, 0),
       coalesce(c.kind, ''), coalesce(c.attributes, '{}'), coalesce(c.tracking, ''), c.banned_at,
       c.consent_at, c.created_at, c.updated_at,
       co.id, coalesce(co.name, ''), coalesce(co.business_id, ''), coalesce(co.website, ''),
       coalesce(co.country, ''), coalesce(co.location, ''), co.created_at, co.updated_at
FROM claimed cl
LEFT JOIN contacts c ON c.id = cl.contact_id
LEFT JOIN companies co ON co.id = c.company_id
ORDER BY cl.contact_id`

// Claim takes up to limit rows of a batch for sending: pending rows whose not_before has passed
// and sending rows whose lease expired (their worker died). Each becomes 'sending' with a lease
// of lease and one more attempt. Concurrent claims of the same batch never return the same row.
// An empty result means the batch has nothing claimable now (see OpenBatches for when it will);
// ErrNotRunning means the campaign is paused, cancelled or done. Choose lease well above the time
// a batch can take: a worker that stalls past its lease may see its rows claimed and sent again.
func Claim(ctx context.Context, db pg.DBTX, campaignID int64, batch int, lease time.Duration, limit int) ([]Recipient, error) {
	if lease <= 0 || limit <= 0 {
		return nil, fmt.Errorf("campaign: claim %d/%d: lease %v and limit %d must be positive", campaignID, batch, lease, limit)
	}
	rows, err := db.Query(ctx, claimSQL, campaignID, batch, lease.Microseconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("campaign: claim %d/%d: %w", campaignID, batch, err)
	}
	rs, err := pgx.CollectRows(rows, scanRecipient)
	if err != nil {
		return nil, fmt.Errorf("campaign: claim %d/%d: %w", campaignID, batch, err)
	}
	if len(rs) > 0 {
		return rs, nil
	}
	var running bool
	err = db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = $1 AND status = 'running')`, campaignID).Scan(&running)
	if err != nil {
		return nil, fmt.Errorf("campaign: claim %d/%d: %w", campaignID, batch, err)
	}
	if !running {
		return nil, fmt.Errorf("campaign: claim %d/%d: %w", campaignID, batch, ErrNotRunning)
	}
	return nil, nil
}
