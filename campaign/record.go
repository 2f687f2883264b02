package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kirje/kirje/internal/pg"
)

// Outcome is what happened to one claimed row.
type Outcome struct {
	ContactID int64
	// Status is SendSent, SendDropped, SendBounced, SendFailed, or SendPending to try again later
	// (throttled, SMTP 4xx, suppression list unreachable).
	Status    SendStatus
	MessageID string    // the Message-ID of the message offered: sent, bounced or refused
	Detail    string    // why: suppression reason, SMTP reply, "erased"...
	NotBefore time.Time // for SendPending: not claimed again before this time (zero: at once)
	// Unattempted, for SendPending: the row was handed back without a send being tried
	// (throttled, worker stopping, suppression list unavailable), so its claim does not count as
	// an attempt toward the worker's retry limit.
	Unattempted bool
	// Lease is the Recipient.Lease of the claim this outcome is for. A row claimed again since
	// (its lease ran out while a worker stalled, and another took it) is not changed by the
	// stalled worker's late outcome. Zero: whichever claim holds the row.
	Lease time.Time
}

// recordSQL applies many outcomes in one statement. Only rows still 'sending' under the claim an
// outcome names change: a row that has its outcome is never changed back (a late or repeated
// Record is a no-op), a row another claim holds is left to it, and pending clears the lease so the
// row is claimable again from not_before.
//
// The statement looks the rows up by primary key, whatever the statistics say: contact_id =
// ANY($2) makes the key an index condition, and the status test is written so that no partial
// index over status can be matched to it. Written plainly, the planner (with statistics from
// before the campaign ran, when no row was 'sending') walked every open row of the campaign
// through such an index at every group commit: most of PostgreSQL's time in a large send.
const recordSQL = `
UPDATE send_ledger l
SET status = o.status,
    message_id = coalesce(nullif(o.message_id, ''), l.message_id),
    detail = o.detail,
    not_before = CASE WHEN o.status = 'pending' THEN o.not_before END,
    attempts = CASE WHEN o.status = 'pending' AND o.unattempted THEN greatest(l.attempts - 1, 0) ELSE l.attempts END,
    lease_until = NULL,
    updated_at = now()
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::bool[], $8::timestamptz[])
     AS o (contact_id, status, message_id, detail, not_before, unattempted, lease)
WHERE l.campaign_id = $1 AND l.contact_id = ANY($2) AND l.contact_id = o.contact_id
  AND (l.status || '') = 'sending' AND (o.lease IS NULL OR l.lease_until = o.lease)
RETURNING l.contact_id`

// Record stores outcomes of claimed rows in one statement and returns how many rows it changed.
// A row that is no longer 'sending' (recorded before, released, or the campaign's ledger row is
// gone) is skipped, so fewer than len(outcomes) means some outcomes were already known. Run it in
// the transaction that records the matching events.
func Record(ctx context.Context, db pg.DBTX, campaignID int64, outcomes []Outcome) (int64, error) {
	changed, err := RecordChanged(ctx, db, campaignID, outcomes)
	return int64(len(changed)), err
}

// RecordChanged is Record, returning the contacts whose rows it changed: the outcomes that were
// not known before. Events that report outcomes should be written for these only, so that an
// outcome recorded twice (a commit retried after its acknowledgement was lost) is reported once.
func RecordChanged(ctx context.Context, db pg.DBTX, campaignID int64, outcomes []Outcome) ([]int64, error) {
	if len(outcomes) == 0 {
		return nil, nil
	}
	n := len(outcomes)
	ids, statuses, msgIDs, details := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
	notBefore, leases := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	unattempted := make([]bool, n)
	seen := make(map[int64]bool, n)
	for i, o := range outcomes {
		switch o.Status {
		case SendSent, SendDropped, SendBounced, SendFailed, SendPending:
		default:
			return nil, fmt.Errorf("campaign: record %d: contact %d: status %q is not an outcome", campaignID, o.ContactID, o.Status)
		}
		if seen[o.ContactID] {
			return nil, fmt.Errorf("campaign: record %d: contact %d appears twice", campaignID, o.ContactID)
		}
		seen[o.ContactID] = true
		ids[i], statuses[i], msgIDs[i], details[i] = o.ContactID, string(o.Status), o.MessageID, o.Detail
		notBefore[i] = pgtype.Timestamptz{Time: o.NotBefore, Valid: !o.NotBefore.IsZero()}
		unattempted[i] = o.Unattempted
		leases[i] = pgtype.Timestamptz{Time: o.Lease, Valid: !o.Lease.IsZero()}
	}
	rows, err := db.Query(ctx, recordSQL, campaignID, ids, statuses, msgIDs, details, notBefore, unattempted, leases)
	if err != nil {
		return nil, fmt.Errorf("campaign: record %d: %w", campaignID, err)
	}
	changed, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("campaign: record %d: %w", campaignID, err)
	}
	return changed, nil
}
