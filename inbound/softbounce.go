package inbound

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/suppression"
)

// softBounceSQL records one soft bounce of an address and returns how many fall within the
// window, dropping the address's rows that have left it. The main SELECT sees the table as it
// was before the statement, hence the inserted row is added from the CTE. Two soft bounces of
// one address committed at the same moment may each count one short; the next one counts both.
const softBounceSQL = `
WITH purged AS (
    DELETE FROM soft_bounces WHERE address_hash = $1 AND bounced_at < $3
), inserted AS (
    INSERT INTO soft_bounces (address_hash, message_key, bounced_at) VALUES ($1, $2, $4)
    ON CONFLICT (address_hash, message_key) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM soft_bounces WHERE address_hash = $1 AND bounced_at >= $3)
     + (SELECT count(*) FROM inserted)`

// countSoftBounce records a soft bounce of mt's address once per returned message (its campaign,
// or the report when the campaign is unknown) and returns the count within the window.
func (p *Processor) countSoftBounce(ctx context.Context, tx pgx.Tx, mt match, key string) (int, error) {
	hash := suppression.Hash(mt.email)
	msgKey := key
	if mt.campaignID != 0 {
		msgKey = "campaign:" + strconv.FormatInt(mt.campaignID, 10)
	}
	now := p.cfg.Now()
	var n int
	err := tx.QueryRow(ctx, softBounceSQL, hash[:], msgKey, now.Add(-p.cfg.SoftBounceWindow), now).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("soft bounce count: %w", err)
	}
	return n, nil
}

// PurgeSoftBounces deletes soft-bounce rows older than before (rows of addresses that bounce
// again are pruned as they do; this clears the rest). Run it now and then with before set to
// now minus the counting window.
func PurgeSoftBounces(ctx context.Context, db pg.DBTX, before time.Time) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM soft_bounces WHERE bounced_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("inbound: purge soft bounces: %w", err)
	}
	return tag.RowsAffected(), nil
}
