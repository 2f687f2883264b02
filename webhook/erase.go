package webhook

import (
	"context"
	"fmt"
	"strconv"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
)

// scrubBodiesSQL scrubs stored delivery bodies (feed events, as package feed encodes them). The
// contact's own objects lose every field but their number ($2, see contactPattern), so the
// customer number and lead ID go with the email; then the address is replaced wherever else it
// is quoted ($1). A pending delivery then goes out without them; a delivered one is a log. The
// table is read whole: deliveries are pruned, and erasures are rare.
const scrubBodiesSQL = `
UPDATE webhook_deliveries
SET body = regexp_replace(regexp_replace(body, $2, '\1}', 'g'), $1, '` + events.Erased + `', 'gi')
WHERE body ~* $1 OR body ~ $2`

// contactPattern matches the JSON object the feed writes for contact id while it still has string
// fields (email, customer_number, lead_id: group 2), so a scrubbed object is not matched again.
func contactPattern(id int64) string {
	return `("contact":\{"id":` + strconv.FormatInt(id, 10) + `)((,"[a-z_]+":"([^"\\]|\\.)*")+)\}`
}

// ScrubBodies removes an erased person from stored delivery bodies: contactID's objects keep only
// their number, and the address that pattern (events.AddressPattern) matches is replaced
// wherever else it appears. It returns how many deliveries changed.
func ScrubBodies(ctx context.Context, db pg.DBTX, contactID int64, pattern string) (int64, error) {
	tag, err := db.Exec(ctx, scrubBodiesSQL, pattern, contactPattern(contactID))
	if err != nil {
		return 0, fmt.Errorf("webhook: scrub deliveries: %w", err)
	}
	return tag.RowsAffected(), nil
}
