package campaign

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// SendStatus is a ledger row's status (see doc.go for the state machine).
type SendStatus string

// Ledger row statuses. Sent, dropped, bounced and failed are final.
const (
	SendPending SendStatus = "pending" // waiting to be claimed (from not_before on, when set)
	SendSending SendStatus = "sending" // claimed by a batch until lease_until
	SendSent    SendStatus = "sent"    // accepted by the relay; MessageID set
	SendDropped SendStatus = "dropped" // not sent on purpose: suppressed, banned, no consent, erased
	SendBounced SendStatus = "bounced" // permanently refused for the address (SMTP 5xx)
	SendFailed  SendStatus = "failed"  // not delivered for another reason (retries exhausted...)
)

// DroppedBatch is the batch number of rows dropped at materialisation (contacts the register does
// not allow marketing to). No batch task ever claims it; the rows count in the audience.
const DroppedBatch = -1

// ErrNotRunning: Claim or Materialize was called for a campaign that is not running (paused,
// cancelled, done...), so nothing is handed out or written.
var ErrNotRunning = errors.New("campaign is not running")

// MaterializeResult describes a campaign's ledger after Materialize.
type MaterializeResult struct {
	Audience int64 // ledger rows: every contact the segment matched at start
	Dropped  int64 // of those, dropped at once because the register does not allow marketing
	Batches  int   // batches 0..Batches-1 hold the rows to send
	// Written is true when this call wrote the ledger, false when it found it written.
	Written bool
}

// lockForMaterializeSQL locks the campaign row for the rest of the transaction: a second
// materialisation of the same campaign waits here, and its INSERT then sees the first one's rows.
const lockForMaterializeSQL = `SELECT status FROM campaigns WHERE id = $1 FOR UPDATE`

// materializeSQL writes the whole audience in one statement. Mailable contacts are numbered in
// contact ID order and cut into batches of $2; the others go in as 'dropped' in DroppedBatch with
// the register's reason. The running count (a window over ID order) numbers only mailable rows,
// so batches stay full and one sort (often none: the contacts primary key gives ID order)
// suffices. The NOT EXISTS freezes the audience at the first materialisation: a rerun inserts
// nothing, even if contacts were added since. There is no ON CONFLICT clause: it costs a
// speculative insertion per row, and the lock above already serialises materialisations; without
// the lock (no transaction) the primary key still refuses a duplicate with an error.
// %s is the compiled segment; its parameters follow $1 and $2.
const materializeSQL = `
WITH audience AS (
    SELECT c.id, ` + refusalSQL + ` AS refusal
    FROM ` + audienceFrom + `
    WHERE %s
), numbered AS (
    SELECT a.id, a.refusal,
           count(*) FILTER (WHERE a.refusal = '') OVER (ORDER BY a.id ROWS UNBOUNDED PRECEDING) AS n
    FROM audience a
), inserted AS (
    INSERT INTO send_ledger (campaign_id, contact_id, batch, status, detail)
    SELECT $1, m.id,
           CASE WHEN m.refusal = '' THEN (m.n - 1) / $2 ELSE -1 END, -- -1: DroppedBatch
           CASE WHEN m.refusal = '' THEN 'pending' ELSE 'dropped' END,
           m.refusal
    FROM numbered m
    WHERE NOT EXISTS (SELECT 1 FROM send_ledger l WHERE l.campaign_id = $1)
    RETURNING batch
)
SELECT count(*), count(*) FILTER (WHERE batch < 0), coalesce(max(batch) + 1, 0) FROM inserted`

// ledgerSizeSQL describes an existing ledger (a rerun of Materialize).
const ledgerSizeSQL = `
SELECT count(*), count(*) FILTER (WHERE batch < 0), coalesce(max(batch) + 1, 0)
FROM send_ledger WHERE campaign_id = $1`

// Materialize writes c's audience into the send ledger: one row per contact its segment matches
// now, pending in batches of batchSize, or dropped (DroppedBatch, detail "banned"/"no_consent")
// when the register does not allow marketing. It is idempotent: once a campaign has ledger rows,
// it adds none and describes the ledger as it is. The campaign must be running (ErrNotRunning
// otherwise; ErrNotFound if it does not exist). Run it in the transaction that marks the campaign
// running (New(tx).MarkRunning): the campaign's row lock then serialises concurrent starts, and a
// campaign never runs without its audience.
func Materialize(ctx context.Context, db pg.DBTX, c Campaign, batchSize int) (MaterializeResult, error) {
	if batchSize <= 0 {
		return MaterializeResult{}, fmt.Errorf("campaign: materialize %d: batch size %d", c.ID, batchSize)
	}
	args := &Args{}
	args.Add(c.ID)
	args.Add(batchSize)
	where, err := c.Segment.Where(args)
	if err != nil {
		return MaterializeResult{}, fmt.Errorf("campaign: materialize %d: %w", c.ID, err)
	}
	var status Status
	err = db.QueryRow(ctx, lockForMaterializeSQL, c.ID).Scan(&status)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return MaterializeResult{}, fmt.Errorf("campaign: materialize %d: %w", c.ID, ErrNotFound)
	case err != nil:
		return MaterializeResult{}, fmt.Errorf("campaign: materialize %d: %w", c.ID, err)
	case status != StatusRunning:
		return MaterializeResult{}, fmt.Errorf("campaign: materialize %d (%s): %w", c.ID, status, ErrNotRunning)
	}
	var r MaterializeResult
	err = db.QueryRow(ctx, fmt.Sprintf(materializeSQL, where), args.Values()...).Scan(&r.Audience, &r.Dropped, &r.Batches)
	if err != nil {
		return MaterializeResult{}, fmt.Errorf("campaign: materialize %d: %w", c.ID, err)
	}
	if r.Audience > 0 {
		r.Written = true
		return r, nil
	}
	// Nothing inserted: either the audience is empty or it was materialised before.
	err = db.QueryRow(ctx, ledgerSizeSQL, c.ID).Scan(&r.Audience, &r.Dropped, &r.Batches)
	if err != nil {
		return MaterializeResult{}, fmt.Errorf("campaign: materialize %d: %w", c.ID, err)
	}
	return r, nil
}
