package report

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/internal/spreadsheet"
)

// CSVHeader is the first row of WriteRecipientsCSV.
var CSVHeader = []string{"contact_id", "email", "customer_number", "status", "detail", "sent_at",
	"opened_at", "clicked_at", "unsubscribed_at", "bounced", "complained"}

// recipientsSQL lists the audience in contact order with each one's outcome. Contacts erased
// since keep their row, without an email.
const recipientsSQL = recipientsCTE + `
SELECT r.contact_id, coalesce(c.email, ''), coalesce(c.customer_number, ''), r.status, r.detail,
       r.sent_at, r.opened_at, r.clicked_at, r.unsubscribed_at, r.bounced, r.complained
FROM recipients r
LEFT JOIN contacts c ON c.id = r.contact_id
ORDER BY r.contact_id`

// WriteRecipientsCSV streams one CSV row per audience member of campaign id: who, the ledger
// status and its detail, when the message was sent, first (human, unless opts.IncludeMachine)
// open and click, unsubscribe, and whether it bounced or drew a complaint. Times are RFC 3339
// UTC, empty when it did not happen. Cells that a spreadsheet would run as a formula are
// prefixed with an apostrophe. ErrNotFound for an unknown campaign.
func WriteRecipientsCSV(ctx context.Context, db pg.DBTX, id int64, opts Options, w io.Writer) error {
	if _, err := campaign.New(db).Get(ctx, id); err != nil {
		if errors.Is(err, campaign.ErrNotFound) {
			return fmt.Errorf("report: campaign %d: %w", id, ErrNotFound)
		}
		return fmt.Errorf("report: campaign %d: %w", id, err)
	}
	rows, err := db.Query(ctx, recipientsSQL, id, opts.IncludeMachine)
	if err != nil {
		return fmt.Errorf("report: recipients of %d: %w", id, err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		rows.Close()
		return err
	}
	var (
		contactID                           int64
		email, number, status, detail       string
		sent, opened, clicked, unsubscribed *time.Time
		bounced, complained                 bool
	)
	_, err = pgx.ForEachRow(rows, []any{&contactID, &email, &number, &status, &detail, &sent, &opened,
		&clicked, &unsubscribed, &bounced, &complained}, func() error {
		return cw.Write([]string{strconv.FormatInt(contactID, 10),
			spreadsheet.Defuse(email), spreadsheet.Defuse(number), status, spreadsheet.Defuse(detail),
			stamp(sent), stamp(opened), stamp(clicked), stamp(unsubscribed),
			strconv.FormatBool(bounced), strconv.FormatBool(complained)})
	})
	if err != nil {
		return fmt.Errorf("report: recipients of %d: %w", id, err)
	}
	cw.Flush()
	return cw.Error()
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
