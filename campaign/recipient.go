package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/register"
)

// scanRecipient reads one row of claimSQL. The contact and company columns come from LEFT JOINs:
// a NULL id means there is none.
func scanRecipient(row pgx.CollectableRow) (Recipient, error) {
	var (
		r                                        Recipient
		c                                        register.Contact
		co                                       register.Company
		contactID, companyID                     *int64
		cCreated, cUpdated, coCreated, coUpdated *time.Time
	)
	err := row.Scan(&r.ContactID, &r.Attempts, &r.Lease,
		&contactID, &c.Email, &c.FirstName, &c.LastName, &c.JobTitle, &c.AcademicTitle, &c.Segment,
		&c.Country, &c.Phone, &c.PostalAddress, &c.CustomerNumber, &c.LeadID, &c.CompanyID,
		&c.Kind, &c.Attributes, &c.Tracking, &c.BannedAt, &c.ConsentAt, &cCreated, &cUpdated,
		&companyID, &co.Name, &co.BusinessID, &co.Website, &co.Country, &co.Location, &coCreated, &coUpdated)
	if err != nil {
		return Recipient{}, err
	}
	if contactID != nil {
		c.ID, c.CreatedAt, c.UpdatedAt = *contactID, deref(cCreated), deref(cUpdated)
		r.Contact = &c
	}
	if companyID != nil {
		co.ID, co.CreatedAt, co.UpdatedAt = *companyID, deref(coCreated), deref(coUpdated)
		r.Company = &co
	}
	return r, nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// releaseSQL hands claimed rows back. The attempt the claim counted is taken back: nothing was
// tried, so it must not use up the row's retries.
const releaseSQL = `
UPDATE send_ledger
SET status = 'pending', lease_until = NULL, attempts = greatest(attempts - 1, 0), updated_at = now()
WHERE campaign_id = $1 AND contact_id = ANY ($2::bigint[]) AND status = 'sending'`

// Release returns claimed rows that were not tried to pending, for a worker handing back the rest
// of a batch (at shutdown, or when the campaign was paused mid-batch). Rows that already have an
// outcome are left alone. It returns how many rows were released.
func Release(ctx context.Context, db pg.DBTX, campaignID int64, contactIDs []int64) (int64, error) {
	if len(contactIDs) == 0 {
		return 0, nil
	}
	tag, err := db.Exec(ctx, releaseSQL, campaignID, contactIDs)
	if err != nil {
		return 0, fmt.Errorf("campaign: release %d: %w", campaignID, err)
	}
	return tag.RowsAffected(), nil
}
