package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/kirje/kirje/internal/pg"
)

// lastActivitySQL finds the newest ledger change of a campaign; the reconciler compares it with
// the clock to tell a progressing send from a stalled one.
const lastActivitySQL = `SELECT max(updated_at) FROM send_ledger WHERE campaign_id = $1`

// LastActivity returns when any ledger row of the campaign last changed; the zero time when it
// has no rows.
func LastActivity(ctx context.Context, db pg.DBTX, campaignID int64) (time.Time, error) {
	var t *time.Time
	if err := db.QueryRow(ctx, lastActivitySQL, campaignID).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("campaign: last activity of %d: %w", campaignID, err)
	}
	if t == nil {
		return time.Time{}, nil
	}
	return *t, nil
}
