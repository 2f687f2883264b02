package privacy

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/events"
)

// Erasure reaches into tables other packages own, where copies of an address can end up. The SQL
// is here until those packages offer erasure hooks of their own; each statement is skipped when
// its table does not exist (a package not installed), so erasure never fails for that.

// OthersResult counts what erasure changed outside the register, the suppression list and events.
type OthersResult struct {
	LedgerDetails       int64 `json:"ledger_details"`       // send-ledger details (SMTP replies) scrubbed
	WebhookDeliveries   int64 `json:"webhook_deliveries"`   // webhook bodies scrubbed
	QuarantinedMessages int64 `json:"quarantined_messages"` // inbound messages kept for inspection, deleted
}

// ledgerDetailSQL scrubs SMTP replies that quote the address from the contact's ledger rows
// (probing the ledger's key campaign by campaign, as the export does). The rows stay: they are
// the campaigns' counts, and their contact number names nobody once the contact is gone.
const ledgerDetailSQL = `
UPDATE send_ledger l SET detail = regexp_replace(l.detail, $2, '` + events.Erased + `', 'gi')
FROM campaigns c
WHERE l.campaign_id = c.id AND l.contact_id = $1 AND l.detail ~* $2`

// webhookBodySQL scrubs stored webhook bodies (package engagement's deliveries: feed events).
// The contact's own objects lose every field but their number ($2 matches
// "contact":{"id":N,…} as the feed writes it, string fields only), so the customer number and
// lead ID go with the email; then the address is replaced wherever else it is quoted ($1). A
// pending delivery then goes out without them; a delivered one is a log. The table is read whole:
// deliveries are pruned, and erasures are rare.
const webhookBodySQL = `
UPDATE webhook_deliveries
SET body = regexp_replace(regexp_replace(body, $2, '\1}', 'g'), $1, '` + events.Erased + `', 'gi')
WHERE body ~* $1 OR body ~ $2`

// webhookContactPattern matches the JSON object the feed writes for contact id while it still has
// string fields (email, customer_number, lead_id: group 2), so a scrubbed object is not matched
// again.
func webhookContactPattern(id int64) string {
	return `("contact":\{"id":` + strconv.FormatInt(id, 10) + `)((,"[a-z_]+":"([^"\\]|\\.)*")+)\}`
}

// quarantineSQL deletes inbound messages kept for inspection (package inbound) that came from or
// were addressed to the address, or quote it in their first bytes (non-ASCII bytes are escaped
// by encode(…, 'escape'), so the ASCII address is still found in any letter case).
const quarantineSQL = `
DELETE FROM inbound_quarantine
WHERE lower(mail_from) = $1
   OR $1 = ANY (SELECT lower(r) FROM unnest(rcpt_to) AS r)
   OR strpos(lower(encode(raw, 'escape')), $1) > 0`

func eraseOthers(ctx context.Context, tx pgx.Tx, contactID int64, sub subject, pattern string) (OthersResult, error) {
	var res OthersResult
	steps := []struct {
		table string
		n     *int64
		sql   string
		args  []any
	}{
		{"send_ledger", &res.LedgerDetails, ledgerDetailSQL, []any{contactID, pattern}},
		{"webhook_deliveries", &res.WebhookDeliveries, webhookBodySQL, []any{pattern, webhookContactPattern(contactID)}},
		{"inbound_quarantine", &res.QuarantinedMessages, quarantineSQL, []any{sub.address}},
	}
	for _, st := range steps {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, st.table).Scan(&exists); err != nil {
			return res, err
		}
		if !exists || (st.table == "send_ledger" && contactID == 0) {
			continue
		}
		tag, err := tx.Exec(ctx, st.sql, st.args...)
		if err != nil {
			return res, fmt.Errorf("%s: %w", st.table, err)
		}
		*st.n = tag.RowsAffected()
	}
	return res, nil
}
