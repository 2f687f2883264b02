package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

const getSQL = `SELECT ` + campaignCols + ` FROM campaigns WHERE id = $1`

// Get returns the campaign with that ID, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(s.db.QueryRow(ctx, getSQL, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Campaign{}, fmt.Errorf("campaign: get %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign: get %d: %w", id, err)
	}
	return c, nil
}

// listSQL pages by ID downwards (keyset), so a page costs the same wherever it starts.
const listSQL = `
SELECT ` + campaignCols + `
FROM campaigns
WHERE ($1::text[] IS NULL OR status = ANY ($1)) AND ($2 = 0 OR brand_id = $2) AND ($3 = 0 OR id < $3)
ORDER BY id DESC
LIMIT $4`

// List returns campaigns newest first, filtered and paged by opts.
func (s *Store) List(ctx context.Context, opts ListOptions) ([]Campaign, error) {
	limit := opts.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 500)
	var statuses []string
	for _, st := range opts.Statuses {
		statuses = append(statuses, string(st))
	}
	rows, err := s.db.Query(ctx, listSQL, statuses, opts.BrandID, opts.BeforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("campaign: list: %w", err)
	}
	cs, err := collectCampaigns(rows)
	if err != nil {
		return nil, fmt.Errorf("campaign: list: %w", err)
	}
	return cs, nil
}

// dueSQL and runningSQL use the partial index on status (campaigns_status_idx).
const (
	dueSQL = `SELECT ` + campaignCols + ` FROM campaigns
WHERE status = 'scheduled' AND scheduled_at <= $1 ORDER BY scheduled_at, id`
	runningSQL = `SELECT ` + campaignCols + ` FROM campaigns WHERE status = 'running' ORDER BY id`
)

// Due lists the scheduled campaigns whose time has come at now, earliest first: the reconciler
// starts those whose start task went missing.
func (s *Store) Due(ctx context.Context, now time.Time) ([]Campaign, error) {
	rows, err := s.db.Query(ctx, dueSQL, now)
	if err != nil {
		return nil, fmt.Errorf("campaign: due: %w", err)
	}
	cs, err := collectCampaigns(rows)
	if err != nil {
		return nil, fmt.Errorf("campaign: due: %w", err)
	}
	return cs, nil
}

// Running lists the running campaigns: the reconciler re-enqueues their open batches.
func (s *Store) Running(ctx context.Context) ([]Campaign, error) {
	rows, err := s.db.Query(ctx, runningSQL)
	if err != nil {
		return nil, fmt.Errorf("campaign: running: %w", err)
	}
	cs, err := collectCampaigns(rows)
	if err != nil {
		return nil, fmt.Errorf("campaign: running: %w", err)
	}
	return cs, nil
}
