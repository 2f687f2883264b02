package privacy

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/inbound"
	"github.com/kirje/kirje/webhook"
)

// OthersResult counts what erasure changed outside the register, the suppression list and events.
type OthersResult struct {
	LedgerDetails       int64 `json:"ledger_details"`       // send-ledger details (SMTP replies) scrubbed
	WebhookDeliveries   int64 `json:"webhook_deliveries"`   // webhook bodies scrubbed
	QuarantinedMessages int64 `json:"quarantined_messages"` // inbound messages kept for inspection, deleted
}

// eraseOthers removes the person from the tables other packages own, through each owner, in the
// erasure's transaction: ledger details, webhook bodies and quarantined inbound mail.
func eraseOthers(ctx context.Context, tx pgx.Tx, contactID int64, sub subject, pattern string) (OthersResult, error) {
	var res OthersResult
	var err error
	if contactID != 0 {
		if res.LedgerDetails, err = campaign.ScrubLedger(ctx, tx, contactID, pattern); err != nil {
			return res, err
		}
	}
	if res.WebhookDeliveries, err = webhook.ScrubBodies(ctx, tx, contactID, pattern); err != nil {
		return res, err
	}
	if res.QuarantinedMessages, err = inbound.ForgetQuarantined(ctx, tx, sub.address); err != nil {
		return res, err
	}
	return res, nil
}
