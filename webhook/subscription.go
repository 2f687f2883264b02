package webhook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/feed"
	"github.com/kirje/kirje/internal/pg"
)

// Status of a subscription.
type Status string

// Statuses.
const (
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled" // by the retry window or by hand; DisabledReason says why
)

// Subscription is an endpoint and what it receives. The secret is never part of it.
type Subscription struct {
	ID             int64         `json:"id"`
	URL            string        `json:"url"`
	Types          []events.Type `json:"types"` // empty: every type
	Description    string        `json:"description,omitempty"`
	Status         Status        `json:"status"`
	DisabledReason string        `json:"disabled_reason,omitempty"`
	DisabledAt     *time.Time    `json:"disabled_at,omitempty"`
	// Cursor is the feed position up to which events are in deliveries.
	Cursor    feed.Cursor `json:"cursor"`
	Pending   int64       `json:"pending"` // deliveries not yet delivered
	LastError string      `json:"last_error,omitempty"`
	CreatedBy string      `json:"created_by,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
}

// Input is a new subscription.
type Input struct {
	URL         string
	Types       []events.Type // none: every type
	Description string
	CreatedBy   string
	// From is where its feed starts: the zero Cursor means now (feed.Head); FromStart sends the
	// whole stored feed.
	From      feed.Cursor
	FromStart bool
}

// Created is a new subscription with its secret, which is shown this once.
type Created struct {
	Subscription
	Secret string `json:"secret"`
}

// Store keeps subscriptions.
type Store struct {
	db     pg.DBTX
	policy Policy
	now    func() time.Time
}

// NewStore returns a Store over db that checks URLs against policy.
func NewStore(db pg.DBTX, policy Policy, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, policy: policy, now: now}
}

const insertSQL = `
INSERT INTO webhook_subscriptions (url, types, description, secret, cursor_tx, cursor_id, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5::xid8, $6, $7, $8, $8)
RETURNING id`

// Add validates in (the URL against the policy, the event types) and stores a subscription. It
// returns an error wrapping ErrInvalid for bad input.
func (s *Store) Add(ctx context.Context, in Input) (Created, error) {
	u, err := s.policy.CheckURL(ctx, strings.TrimSpace(in.URL))
	if err != nil {
		return Created{}, err
	}
	types := []string{}
	for _, t := range in.Types {
		if !t.Valid() {
			return Created{}, fmt.Errorf("%w: unknown event type %q", ErrInvalid, t)
		}
		types = append(types, string(t))
	}
	from := in.From
	if from.IsZero() && !in.FromStart {
		if from, err = feed.Head(ctx, s.db); err != nil {
			return Created{}, fmt.Errorf("webhook: add: %w", err)
		}
	}
	key := newSecret()
	var id int64
	err = s.db.QueryRow(ctx, insertSQL, u.String(), types, strings.TrimSpace(in.Description), key,
		from.Tx, from.ID, in.CreatedBy, s.now()).Scan(&id)
	if err != nil {
		return Created{}, fmt.Errorf("webhook: add: %w", err)
	}
	sub, err := s.Get(ctx, id)
	return Created{Subscription: sub, Secret: FormatSecret(key)}, err
}

// selectSQL reads subscriptions with their pending count and the last error of the oldest
// pending delivery (what a disabled or struggling endpoint is failing on).
const selectSQL = `
SELECT s.id, s.url, s.types, s.description, s.status, s.disabled_reason, s.disabled_at,
       s.cursor_tx, s.cursor_id, s.created_by, s.created_at,
       (SELECT count(*) FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.status = 'pending'),
       coalesce((SELECT d.last_error FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.status = 'pending'
                 ORDER BY d.id LIMIT 1), '')
FROM webhook_subscriptions s`

// Get returns one subscription, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (Subscription, error) {
	rows, err := s.db.Query(ctx, selectSQL+` WHERE s.id = $1`, id)
	if err != nil {
		return Subscription{}, fmt.Errorf("webhook: get %d: %w", id, err)
	}
	sub, err := pgx.CollectExactlyOneRow(rows, scanSubscription)
	if errors.Is(err, pgx.ErrNoRows) {
		return Subscription{}, fmt.Errorf("webhook: get %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Subscription{}, fmt.Errorf("webhook: get %d: %w", id, err)
	}
	return sub, nil
}

// List returns every subscription, oldest first.
func (s *Store) List(ctx context.Context) ([]Subscription, error) {
	rows, err := s.db.Query(ctx, selectSQL+` ORDER BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("webhook: list: %w", err)
	}
	subs, err := pgx.CollectRows(rows, scanSubscription)
	if err != nil {
		return nil, fmt.Errorf("webhook: list: %w", err)
	}
	return subs, nil
}

func scanSubscription(row pgx.CollectableRow) (Subscription, error) {
	var sub Subscription
	var types []string
	err := row.Scan(&sub.ID, &sub.URL, &types, &sub.Description, &sub.Status, &sub.DisabledReason,
		&sub.DisabledAt, &sub.Cursor.Tx, &sub.Cursor.ID, &sub.CreatedBy, &sub.CreatedAt, &sub.Pending, &sub.LastError)
	if err != nil {
		return sub, err
	}
	sub.Types = make([]events.Type, len(types))
	for i, t := range types {
		sub.Types[i] = events.Type(t)
	}
	return sub, nil
}
