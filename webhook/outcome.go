package webhook

import (
	"context"
	"fmt"
	"time"
)

const deliveredSQL = `
UPDATE webhook_deliveries
SET status = 'delivered', attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, $2),
    last_attempt_at = $2, delivered_at = $2, last_status = $3, last_error = ''
WHERE id = $1`

func (d *Dispatcher) delivered(ctx context.Context, dl delivery, a Attempt) error {
	if _, err := d.db.Exec(ctx, deliveredSQL, dl.id, d.cfg.Now(), a.Status); err != nil {
		return fmt.Errorf("webhook: delivered %d: %w", dl.id, err)
	}
	return nil
}

const failedSQL = `
UPDATE webhook_deliveries
SET attempts = $2, first_attempt_at = $3, last_attempt_at = $4, next_attempt_at = $5,
    last_status = nullif($6, 0), last_error = $7
WHERE id = $1`

const disableForFailureSQL = `
UPDATE webhook_subscriptions
SET status = 'disabled', disabled_reason = $2, disabled_at = $3, updated_at = $3
WHERE id = $1 AND status = 'active'`

// failed records a failed attempt. Within the retry window it schedules the next attempt; past
// it, it disables the subscription with the reason and leaves the delivery pending, due at once
// when the subscription is enabled again.
func (d *Dispatcher) failed(ctx context.Context, sub int64, dl delivery, a Attempt) (disabled bool, err error) {
	now := d.cfg.Now()
	first := now
	if dl.firstAttempt != nil {
		first = *dl.firstAttempt
	}
	attempts := dl.attempts + 1
	expired := now.Sub(first) >= d.cfg.RetryWindow
	next := now.Add(d.backoff(attempts))
	if expired {
		next = now
	}
	if _, err := d.db.Exec(ctx, failedSQL, dl.id, attempts, first, now, next, a.Status, a.Error); err != nil {
		return false, fmt.Errorf("webhook: failed %d: %w", dl.id, err)
	}
	log := d.logger.With("subscription_id", sub, "delivery_id", dl.id, "attempts", attempts, "err", a.Error)
	if expired {
		reason := fmt.Sprintf("delivery %s failed for %s over %d attempts; last: %s",
			dl.msgID, now.Sub(first).Round(time.Second), attempts, a.Error)
		if _, err := d.db.Exec(ctx, disableForFailureSQL, sub, reason, now); err != nil {
			return false, fmt.Errorf("webhook: disable %d: %w", sub, err)
		}
		log.Warn("webhook: subscription disabled: its retry window ran out")
		return true, nil
	}
	log.Info("webhook: delivery failed; retrying", "next_attempt_at", next)
	if err := d.enqueue(ctx, sub, dl.id, attempts, next); err != nil {
		// The pump enqueues it when it is due.
		log.Warn("webhook: could not enqueue the retry now", "enqueue_err", err)
	}
	return false, nil
}
