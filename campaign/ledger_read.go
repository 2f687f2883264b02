package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// BatchState is a batch that still has open rows, for the reconciler.
type BatchState struct {
	Batch   int
	Pending int64 // rows waiting to be claimed
	Sending int64 // rows claimed and not yet recorded
	// NotBefore is the earliest time a pending row becomes claimable; zero when one is claimable
	// already (or none is pending).
	NotBefore time.Time
	// LeaseExpired: some sending row's lease has run out (its worker is gone); a claim takes it.
	LeaseExpired bool
	// Ready: a claim of this batch would return rows now (by the database's clock).
	Ready bool
}

// openBatchesSQL reads only open rows, through the partial index send_ledger_open_idx.
const openBatchesSQL = `
SELECT batch,
       count(*) FILTER (WHERE status = 'pending'),
       count(*) FILTER (WHERE status = 'sending'),
       CASE WHEN bool_or(status = 'pending' AND not_before IS NULL) THEN NULL
            ELSE min(not_before) FILTER (WHERE status = 'pending') END,
       coalesce(bool_or(status = 'sending' AND lease_until < now()), false),
       coalesce(bool_or((status = 'pending' AND (not_before IS NULL OR not_before <= now()))
                        OR (status = 'sending' AND lease_until < now())), false)
FROM send_ledger
WHERE campaign_id = $1 AND status IN ('pending', 'sending')
GROUP BY batch
ORDER BY batch`

// OpenBatches lists the batches of a campaign that still have pending or sending rows, in batch
// order. The reconciler enqueues a batch task for each Ready one and schedules the others for
// NotBefore.
func OpenBatches(ctx context.Context, db pg.DBTX, campaignID int64) ([]BatchState, error) {
	rows, err := db.Query(ctx, openBatchesSQL, campaignID)
	if err != nil {
		return nil, fmt.Errorf("campaign: open batches of %d: %w", campaignID, err)
	}
	bs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (BatchState, error) {
		var b BatchState
		var notBefore *time.Time
		err := row.Scan(&b.Batch, &b.Pending, &b.Sending, &notBefore, &b.LeaseExpired, &b.Ready)
		b.NotBefore = deref(notBefore)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("campaign: open batches of %d: %w", campaignID, err)
	}
	return bs, nil
}

// Counts is a campaign's ledger by status.
type Counts struct {
	Audience int64 `json:"audience"` // all rows
	Pending  int64 `json:"pending"`
	Sending  int64 `json:"sending"`
	Sent     int64 `json:"sent"`
	Dropped  int64 `json:"dropped"`
	Bounced  int64 `json:"bounced"`
	Failed   int64 `json:"failed"`
}

const countsSQL = `
SELECT count(*),
       count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'sending'),
       count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'dropped'),
       count(*) FILTER (WHERE status = 'bounced'), count(*) FILTER (WHERE status = 'failed')
FROM send_ledger WHERE campaign_id = $1`

// LedgerCounts counts a campaign's ledger rows by status (all zero before it starts). It reads the
// whole ledger of the campaign: cheap for a show, not for a hot loop (use HasOpen there).
func LedgerCounts(ctx context.Context, db pg.DBTX, campaignID int64) (Counts, error) {
	var c Counts
	err := db.QueryRow(ctx, countsSQL, campaignID).Scan(&c.Audience, &c.Pending, &c.Sending, &c.Sent,
		&c.Dropped, &c.Bounced, &c.Failed)
	if err != nil {
		return Counts{}, fmt.Errorf("campaign: counts of %d: %w", campaignID, err)
	}
	return c, nil
}

// hasOpenSQL finds the first open row in batch order. It is not written as EXISTS: with
// statistics from when every row was pending, the planner expects an open row near the start of
// the table and answers EXISTS with a sequential scan, which then walks past every row sent so
// far, once per batch, so the check grows with the campaign. In batch order, walking the partial
// index send_ledger_open_idx is the only plan that does not read the whole ledger, whatever the
// statistics say.
const hasOpenSQL = `
SELECT batch FROM send_ledger
WHERE campaign_id = $1 AND status IN ('pending', 'sending')
ORDER BY batch
LIMIT 1`

// HasOpen reports whether a campaign has pending or sending rows. It reads one entry of the
// partial index send_ledger_open_idx.
func HasOpen(ctx context.Context, db pg.DBTX, campaignID int64) (bool, error) {
	var batch int
	switch err := db.QueryRow(ctx, hasOpenSQL, campaignID).Scan(&batch); {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("campaign: has open %d: %w", campaignID, err)
	}
	return true, nil
}

// nextDueSQL is when a batch's open rows can next be claimed: a pending row's not_before (now
// when it has none), a sending row's lease end. NULL when the batch has no open rows.
const nextDueSQL = `
SELECT min(CASE WHEN status = 'pending' THEN coalesce(not_before, now()) ELSE lease_until END)
FROM send_ledger
WHERE campaign_id = $1 AND batch = $2 AND status IN ('pending', 'sending')`

// NextDue returns when a claim of the batch will next find rows, and false when the batch has no
// open rows. A batch task that claimed nothing uses it to come back at the right time rather
// than leave deferred rows to the reconciler.
func NextDue(ctx context.Context, db pg.DBTX, campaignID int64, batch int) (time.Time, bool, error) {
	var t *time.Time
	if err := db.QueryRow(ctx, nextDueSQL, campaignID, batch).Scan(&t); err != nil {
		return time.Time{}, false, fmt.Errorf("campaign: next due of batch %d of %d: %w", batch, campaignID, err)
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return *t, true, nil
}

// messageIDsSQL reads the Message-IDs recorded for some of a campaign's rows.
const messageIDsSQL = `
SELECT contact_id, coalesce(message_id, '') FROM send_ledger
WHERE campaign_id = $1 AND contact_id = ANY($2)`

// MessageIDs returns the Message-ID recorded for each of contacts' rows in a campaign ("" when
// none was; rows that do not exist are left out).
func MessageIDs(ctx context.Context, db pg.DBTX, campaignID int64, contacts []int64) (map[int64]string, error) {
	rows, err := db.Query(ctx, messageIDsSQL, campaignID, contacts)
	if err != nil {
		return nil, fmt.Errorf("campaign: message IDs of %d: %w", campaignID, err)
	}
	ids := make(map[int64]string, len(contacts))
	var contact int64
	var id string
	_, err = pgx.ForEachRow(rows, []any{&contact, &id}, func() error {
		ids[contact] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("campaign: message IDs of %d: %w", campaignID, err)
	}
	return ids, nil
}

// DroppedRow is a ledger row dropped at materialisation, with the register's reason.
type DroppedRow struct {
	ContactID int64
	Detail    string // "banned" or "no_consent"
}

// droppedAtStartSQL reads the rows Materialize dropped (DroppedBatch).
const droppedAtStartSQL = `
SELECT contact_id, coalesce(detail, '') FROM send_ledger
WHERE campaign_id = $1 AND batch = -1 ORDER BY contact_id`

// DroppedAtStart returns the rows of a campaign that Materialize dropped because the register
// does not allow marketing to their contacts.
func DroppedAtStart(ctx context.Context, db pg.DBTX, campaignID int64) ([]DroppedRow, error) {
	rows, err := db.Query(ctx, droppedAtStartSQL, campaignID)
	if err != nil {
		return nil, fmt.Errorf("campaign: rows dropped at the start of %d: %w", campaignID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DroppedRow])
	if err != nil {
		return nil, fmt.Errorf("campaign: rows dropped at the start of %d: %w", campaignID, err)
	}
	return out, nil
}
