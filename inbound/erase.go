package inbound

import (
	"context"
	"fmt"

	"github.com/kirje/kirje/internal/pg"
)

// forgetQuarantinedSQL deletes messages kept for inspection that came from or were addressed to
// the address ($1, normalised), or quote it in their first bytes (non-ASCII bytes are escaped by
// encode(…, 'escape'), so the ASCII address is still found in any letter case).
const forgetQuarantinedSQL = `
DELETE FROM inbound_quarantine
WHERE lower(mail_from) = $1
   OR $1 = ANY (SELECT lower(r) FROM unnest(rcpt_to) AS r)
   OR strpos(lower(encode(raw, 'escape')), $1) > 0`

// ForgetQuarantined deletes the quarantined messages that hold address (normalised), for an
// erasure, and returns how many there were.
func ForgetQuarantined(ctx context.Context, db pg.DBTX, address string) (int64, error) {
	tag, err := db.Exec(ctx, forgetQuarantinedSQL, address)
	if err != nil {
		return 0, fmt.Errorf("inbound: forget quarantined mail: %w", err)
	}
	return tag.RowsAffected(), nil
}
