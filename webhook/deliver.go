package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DeliverResult is what one Deliver did.
type DeliverResult struct {
	Delivered int  // deliveries accepted by the endpoint
	Failed    bool // the last attempt failed (a retry is scheduled, or the subscription disabled)
	Disabled  bool // the retry window ran out: the subscription is disabled
}

// leaseSQL takes a subscription for delivering, unless another deliverer holds it. It returns
// the endpoint and its key.
const leaseSQL = `
UPDATE webhook_subscriptions SET lease_owner = $2, lease_until = $3
WHERE id = $1 AND status = 'active' AND (lease_until IS NULL OR lease_until < $4 OR lease_owner = $2)
RETURNING url, secret`

const releaseSQL = `
UPDATE webhook_subscriptions SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`

// headSQL reads a subscription's oldest pending delivery: the only one that may be sent.
const headSQL = `
SELECT id, message_id, body, attempts, first_attempt_at, next_attempt_at
FROM webhook_deliveries WHERE subscription_id = $1 AND status = 'pending' ORDER BY id LIMIT 1`

type delivery struct {
	id           int64
	msgID        string
	body         []byte
	attempts     int
	firstAttempt *time.Time
	next         time.Time
}

// Deliver sends subscription sub's due deliveries, oldest first, until one fails, none is due,
// or the Budget is spent. It does nothing when the subscription is inactive or another
// deliverer holds it. Endpoint failures are outcomes, not errors: the error is for the database.
func (d *Dispatcher) Deliver(ctx context.Context, sub int64) (DeliverResult, error) {
	var r DeliverResult
	owner := leaseOwner()
	url, key, ok, err := d.lease(ctx, sub, owner)
	if err != nil || !ok {
		return r, err
	}
	defer func() {
		if _, err := d.db.Exec(context.WithoutCancel(ctx), releaseSQL, sub, owner); err != nil {
			d.logger.Error("webhook: releasing a subscription failed; its lease expires instead", "subscription_id", sub, "err", err)
		}
	}()
	stop := d.cfg.Now().Add(d.cfg.Budget)
	for {
		var dl delivery
		err := d.db.QueryRow(ctx, headSQL, sub).Scan(&dl.id, &dl.msgID, &dl.body, &dl.attempts, &dl.firstAttempt, &dl.next)
		if errors.Is(err, pgx.ErrNoRows) {
			return r, nil
		}
		if err != nil {
			return r, fmt.Errorf("webhook: deliver %d: %w", sub, err)
		}
		now := d.cfg.Now()
		if dl.next.After(now) {
			return r, nil // its retry task is scheduled for then (or the pump enqueues it)
		}
		if !now.Before(stop) {
			// Hand over to a fresh task so other subscriptions get the slot too.
			return r, d.enqueue(ctx, sub, dl.id, dl.attempts, now)
		}
		if _, _, ok, err := d.lease(ctx, sub, owner); err != nil || !ok {
			return r, err // lost it: disabled or removed meanwhile
		}
		a := d.send.post(ctx, url, key, dl.msgID, now, dl.body)
		if a.OK() {
			if err := d.delivered(ctx, dl, a); err != nil {
				return r, err
			}
			r.Delivered++
			continue
		}
		r.Failed = true
		r.Disabled, err = d.failed(ctx, sub, dl, a)
		return r, err
	}
}

// lease takes or renews the subscription's lease for one attempt's time and a margin.
func (d *Dispatcher) lease(ctx context.Context, sub int64, owner string) (url string, key []byte, ok bool, err error) {
	now := d.cfg.Now()
	err = d.db.QueryRow(ctx, leaseSQL, sub, owner, now.Add(2*d.cfg.Timeout+30*time.Second), now).Scan(&url, &key)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("webhook: deliver %d: lease: %w", sub, err)
	}
	return url, key, true, nil
}

func leaseOwner() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
