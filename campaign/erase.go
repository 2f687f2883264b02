package campaign

import (
	"context"
	"fmt"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
)

// scrubLedgerSQL removes an address ($2, an events.AddressPattern) from SMTP replies in one
// contact's ledger rows, probing the ledger's key campaign by campaign. The rows stay: they are
// the campaigns' counts, and their contact number names nobody once the contact is gone.
const scrubLedgerSQL = `
UPDATE send_ledger l SET detail = regexp_replace(l.detail, $2, '` + events.Erased + `', 'gi')
FROM campaigns c
WHERE l.campaign_id = c.id AND l.contact_id = $1 AND l.detail ~* $2`

// ScrubLedger removes the address that pattern (events.AddressPattern) matches from the details
// (SMTP replies) of contactID's ledger rows, for an erasure, and returns how many rows changed.
func ScrubLedger(ctx context.Context, db pg.DBTX, contactID int64, pattern string) (int64, error) {
	tag, err := db.Exec(ctx, scrubLedgerSQL, contactID, pattern)
	if err != nil {
		return 0, fmt.Errorf("campaign: scrub ledger of contact %d: %w", contactID, err)
	}
	return tag.RowsAffected(), nil
}
