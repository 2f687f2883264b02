package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/templates"
)

// Store keeps campaigns and their tracked links. It runs on a pool or inside the caller's
// transaction (New(tx)); every method is a single statement, so it is atomic either way.
type Store struct {
	db pg.DBTX
}

// New returns a store over db.
func New(db pg.DBTX) *Store { return &Store{db: db} }

// campaignCols is the column list every query returning campaigns selects; scanCampaign reads it.
const campaignCols = `id, brand_id, name, subject, html_body, text_body, layout, segment, status,
       scheduled_at, schedule_version, started_at, finished_at, created_by, created_at, updated_at`

func scanCampaign(row pgx.Row) (Campaign, error) {
	var c Campaign
	var segment []byte
	err := row.Scan(&c.ID, &c.BrandID, &c.Name, &c.Subject, &c.HTML, &c.Text, &c.Layout, &segment, &c.Status,
		&c.ScheduledAt, &c.ScheduleVersion, &c.StartedAt, &c.FinishedAt, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return Campaign{}, err
	}
	if err := json.Unmarshal(segment, &c.Segment); err != nil {
		return Campaign{}, fmt.Errorf("segment of campaign %d: %w", c.ID, err)
	}
	return c, nil
}

func collectCampaigns(rows pgx.Rows) ([]Campaign, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Campaign, error) { return scanCampaign(row) })
}

// createSQL inserts the campaign and its tracked links in one statement.
const createSQL = `
WITH c AS (
    INSERT INTO campaigns (brand_id, name, subject, html_body, text_body, layout, segment, created_by)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    RETURNING ` + campaignCols + `
), links AS (
    INSERT INTO campaign_links (campaign_id, id, url, honeypot)
    SELECT c.id, l.id, l.url, l.honeypot
    FROM c, unnest($9::int[], $10::text[], $11::bool[]) AS l (id, url, honeypot)
)
SELECT ` + campaignCols + ` FROM c`

// Create validates in (see Input and ErrInvalid), compiles its templates and checks them against
// a realistic sample recipient, then stores a draft campaign with its tracked links. A template
// without an unsubscribe link is refused with an error wrapping ErrInvalid and
// templates.ErrNoUnsubscribe.
func (s *Store) Create(ctx context.Context, in Input) (Campaign, error) {
	in, links, err := s.prepare(ctx, in)
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign: create: %w", err)
	}
	segment, err := json.Marshal(in.Segment)
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign: create: segment: %w", err)
	}
	ids, urls, honeypots := linkColumns(links)
	c, err := scanCampaign(s.db.QueryRow(ctx, createSQL, in.BrandID, in.Name, in.Subject, in.HTML, in.Text,
		in.Layout, segment, in.CreatedBy, ids, urls, honeypots))
	if pg.IsForeignKeyViolation(err) {
		return Campaign{}, fmt.Errorf("campaign: create: %w: brand %d does not exist", ErrInvalid, in.BrandID)
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign: create: %w", err)
	}
	return c, nil
}

// updateSQL replaces a draft's content and its links in one statement. The links that stay are
// upserted and the others deleted, so the two never touch the same row.
const updateSQL = `
WITH c AS (
    UPDATE campaigns
    SET brand_id = $2, name = $3, subject = $4, html_body = $5, text_body = $6, layout = $7,
        segment = $8, updated_at = now()
    WHERE id = $1 AND status = 'draft'
    RETURNING ` + campaignCols + `
), gone AS (
    DELETE FROM campaign_links l USING c WHERE l.campaign_id = c.id AND l.id <> ALL ($9::int[])
), kept AS (
    INSERT INTO campaign_links (campaign_id, id, url, honeypot)
    SELECT c.id, l.id, l.url, l.honeypot
    FROM c, unnest($9::int[], $10::text[], $11::bool[]) AS l (id, url, honeypot)
    ON CONFLICT (campaign_id, id) DO UPDATE SET url = excluded.url, honeypot = excluded.honeypot
)
SELECT ` + campaignCols + ` FROM c`

// Update replaces a draft campaign's content (everything in Input but CreatedBy), validated as in
// Create. It returns ErrNotFound for an unknown ID and ErrNotDraft once the campaign has been
// scheduled.
func (s *Store) Update(ctx context.Context, id int64, in Input) (Campaign, error) {
	in, links, err := s.prepare(ctx, in)
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign: update %d: %w", id, err)
	}
	segment, err := json.Marshal(in.Segment)
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign: update %d: segment: %w", id, err)
	}
	ids, urls, honeypots := linkColumns(links)
	c, err := scanCampaign(s.db.QueryRow(ctx, updateSQL, id, in.BrandID, in.Name, in.Subject, in.HTML, in.Text,
		in.Layout, segment, ids, urls, honeypots))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := s.Get(ctx, id); err != nil {
			return Campaign{}, fmt.Errorf("campaign: update: %w", err)
		}
		return Campaign{}, fmt.Errorf("campaign: update %d: %w", id, ErrNotDraft)
	case pg.IsForeignKeyViolation(err):
		return Campaign{}, fmt.Errorf("campaign: update %d: %w: brand %d does not exist", id, ErrInvalid, in.BrandID)
	case err != nil:
		return Campaign{}, fmt.Errorf("campaign: update %d: %w", id, err)
	}
	return c, nil
}

func linkColumns(links []templates.Link) (ids []int32, urls []string, honeypots []bool) {
	ids, urls, honeypots = make([]int32, len(links)), make([]string, len(links)), make([]bool, len(links))
	for i, l := range links {
		ids[i], urls[i], honeypots[i] = int32(l.ID), l.URL, l.Honeypot
	}
	return ids, urls, honeypots
}
