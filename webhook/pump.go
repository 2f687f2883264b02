package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/feed"
	"github.com/kirje/kirje/internal/pg"
)

// PumpResult is what a Pump did.
type PumpResult struct {
	Deliveries int // deliveries made
	Enqueued   int // deliver tasks enqueued (some may have been there already)
	Pruned     int64
}

// Pump makes deliveries of every active subscription's new events, enqueues a deliver task for
// every subscription whose oldest pending delivery is due, and prunes old delivered ones.
func (d *Dispatcher) Pump(ctx context.Context) (PumpResult, error) {
	var r PumpResult
	rows, err := d.db.Query(ctx, `SELECT id FROM webhook_subscriptions WHERE status = 'active' ORDER BY id`)
	if err != nil {
		return r, fmt.Errorf("webhook: pump: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return r, fmt.Errorf("webhook: pump: %w", err)
	}
	for _, id := range ids {
		n, err := d.fill(ctx, id)
		r.Deliveries += n
		if err != nil {
			return r, err
		}
	}
	if r.Enqueued, err = d.enqueueDue(ctx); err != nil {
		return r, err
	}
	tag, err := d.db.Exec(ctx, `DELETE FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < $1`,
		d.cfg.Now().Add(-d.cfg.KeepDelivered))
	if err != nil {
		return r, fmt.Errorf("webhook: pump: prune: %w", err)
	}
	r.Pruned = tag.RowsAffected()
	return r, nil
}

// lockSubscriptionSQL takes a subscription for filling; SKIP LOCKED lets a concurrent pump pass
// it by instead of making the same deliveries after it.
const lockSubscriptionSQL = `
SELECT types, cursor_tx, cursor_id,
       (SELECT count(*) FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.status = 'pending')
FROM webhook_subscriptions s
WHERE id = $1 AND status = 'active'
FOR UPDATE SKIP LOCKED`

const insertDeliverySQL = `
INSERT INTO webhook_deliveries (subscription_id, message_id, body, events, next_attempt_at, created_at)
VALUES ($1, $2, $3, $4, $5, $5)`

const moveCursorSQL = `
UPDATE webhook_subscriptions SET cursor_tx = $2::xid8, cursor_id = $3, updated_at = $4 WHERE id = $1`

// fill makes up to MaxPending deliveries of one subscription's new events, moving its cursor in
// the same transaction: events go into exactly one delivery.
func (d *Dispatcher) fill(ctx context.Context, id int64) (int, error) {
	made := 0
	err := pg.InTx(ctx, d.db, func(tx pgx.Tx) error {
		var (
			types    []string
			cur      feed.Cursor
			pending  int
			filtered []events.Type
		)
		err := tx.QueryRow(ctx, lockSubscriptionSQL, id).Scan(&types, &cur.Tx, &cur.ID, &pending)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // disabled, removed, or another pump has it
		}
		if err != nil {
			return err
		}
		for _, t := range types {
			filtered = append(filtered, events.Type(t))
		}
		start := cur
		now := d.cfg.Now()
		for ; pending+made < d.cfg.MaxPending; made++ {
			body, n, next, err := d.body(ctx, tx, feed.Query{After: cur, Types: filtered, Limit: d.cfg.BatchSize}, now)
			if err != nil {
				return err
			}
			if n == 0 {
				cur = next // past what this subscription does not want, up to the horizon
				break
			}
			if _, err := tx.Exec(ctx, insertDeliverySQL, id, newMessageID(""), body, n, now); err != nil {
				return err
			}
			cur = next
		}
		if cur != start {
			_, err = tx.Exec(ctx, moveCursorSQL, id, cur.Tx, cur.ID, now)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("webhook: pump subscription %d: %w", id, err)
	}
	return made, nil
}

// body encodes up to q.Limit events after q.After as a delivery body. It returns the body, how
// many events it holds and the cursor after them.
func (d *Dispatcher) body(ctx context.Context, db pg.DBTX, q feed.Query, now time.Time) ([]byte, int, feed.Cursor, error) {
	b := make([]byte, 0, 512*q.Limit)
	b = append(b, `{"type":"kirje.events","timestamp":"`...)
	b = now.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","data":[`...)
	n := 0
	next, err := feed.Each(ctx, db, q, func(e *feed.Event) error {
		if n++; n > 1 {
			b = append(b, ',')
		}
		b = e.AppendJSON(b)
		return nil
	})
	return append(b, "]}"...), n, next, err
}

// dueSQL finds subscriptions whose oldest pending delivery is due and that no deliverer holds.
const dueSQL = `
SELECT s.id, d.id, d.attempts
FROM webhook_subscriptions s
JOIN LATERAL (
    SELECT id, attempts, next_attempt_at FROM webhook_deliveries
    WHERE subscription_id = s.id AND status = 'pending' ORDER BY id LIMIT 1
) d ON true
WHERE s.status = 'active' AND d.next_attempt_at <= $1 AND (s.lease_until IS NULL OR s.lease_until < $1)`

// enqueueDue enqueues a deliver task for each due subscription. A task that is already queued
// for the same attempt keeps its place (the ID conflicts).
func (d *Dispatcher) enqueueDue(ctx context.Context) (int, error) {
	now := d.cfg.Now()
	rows, err := d.db.Query(ctx, dueSQL, now)
	if err != nil {
		return 0, fmt.Errorf("webhook: pump: due: %w", err)
	}
	type due struct {
		sub, delivery int64
		attempts      int
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (due, error) {
		var x due
		return x, row.Scan(&x.sub, &x.delivery, &x.attempts)
	})
	if err != nil {
		return 0, fmt.Errorf("webhook: pump: due: %w", err)
	}
	for _, x := range list {
		if err := d.enqueue(ctx, x.sub, x.delivery, x.attempts, now); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}

func (d *Dispatcher) enqueue(ctx context.Context, sub, delivery int64, attempts int, at time.Time) error {
	_, err := d.queue.EnqueueContext(ctx, d.deliverTask(sub, delivery, attempts, at))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		return fmt.Errorf("webhook: enqueue delivery %d of subscription %d: %w", delivery, sub, err)
	}
	return nil
}
