package webhook

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

const deleteSQL = `DELETE FROM webhook_subscriptions WHERE id = $1`

// Remove deletes a subscription and its deliveries, or returns ErrNotFound. A delivery in flight
// may still arrive once.
func (s *Store) Remove(ctx context.Context, id int64) error {
	tag, err := s.db.Exec(ctx, deleteSQL, id)
	if err != nil {
		return fmt.Errorf("webhook: remove %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("webhook: remove %d: %w", id, ErrNotFound)
	}
	return nil
}

// enableSQL reactivates a subscription and gives its pending deliveries a fresh retry window,
// due now. The cursor is untouched: nothing was skipped while it was disabled.
const enableSQL = `
WITH sub AS (
    UPDATE webhook_subscriptions
    SET status = 'active', disabled_reason = '', disabled_at = NULL, updated_at = $2
    WHERE id = $1
    RETURNING id
), reset AS (
    UPDATE webhook_deliveries d SET first_attempt_at = NULL, next_attempt_at = $2
    FROM sub WHERE d.subscription_id = sub.id AND d.status = 'pending'
)
SELECT count(*) FROM sub`

// Enable makes a subscription active again; the pump delivers what it missed, in order, within
// a period. ErrNotFound if it does not exist.
func (s *Store) Enable(ctx context.Context, id int64) (Subscription, error) {
	var n int
	if err := s.db.QueryRow(ctx, enableSQL, id, s.now()).Scan(&n); err != nil {
		return Subscription{}, fmt.Errorf("webhook: enable %d: %w", id, err)
	}
	if n == 0 {
		return Subscription{}, fmt.Errorf("webhook: enable %d: %w", id, ErrNotFound)
	}
	return s.Get(ctx, id)
}

const disableSQL = `
UPDATE webhook_subscriptions
SET status = 'disabled', disabled_reason = $2, disabled_at = $3, updated_at = $3
WHERE id = $1`

// Disable stops deliveries to a subscription, recording why; its cursor stays, so Enable resumes
// without a gap. ErrNotFound if it does not exist.
func (s *Store) Disable(ctx context.Context, id int64, reason string) (Subscription, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		reason = "disabled by hand"
	}
	tag, err := s.db.Exec(ctx, disableSQL, id, reason, s.now())
	if err != nil {
		return Subscription{}, fmt.Errorf("webhook: disable %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return Subscription{}, fmt.Errorf("webhook: disable %d: %w", id, ErrNotFound)
	}
	return s.Get(ctx, id)
}

const secretSQL = `SELECT url, secret FROM webhook_subscriptions WHERE id = $1`

// endpoint returns a subscription's URL and signing key.
func (s *Store) endpoint(ctx context.Context, id int64) (string, []byte, error) {
	var url string
	var key []byte
	if err := s.db.QueryRow(ctx, secretSQL, id).Scan(&url, &key); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return "", nil, fmt.Errorf("webhook: %d: %w", id, ErrNotFound)
		}
		return "", nil, fmt.Errorf("webhook: %d: %w", id, err)
	}
	return url, key, nil
}
