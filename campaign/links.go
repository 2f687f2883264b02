package campaign

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/templates"
)

const linksSQL = `SELECT id, url, honeypot FROM campaign_links WHERE campaign_id = $1 ORDER BY id`

// Links returns a campaign's tracked links in ID order (empty when it has none or does not exist).
func (s *Store) Links(ctx context.Context, campaignID int64) ([]templates.Link, error) {
	rows, err := s.db.Query(ctx, linksSQL, campaignID)
	if err != nil {
		return nil, fmt.Errorf("campaign: links of %d: %w", campaignID, err)
	}
	links, err := pgx.CollectRows(rows, scanLink)
	if err != nil {
		return nil, fmt.Errorf("campaign: links of %d: %w", campaignID, err)
	}
	return links, nil
}

const linkSQL = `SELECT id, url, honeypot FROM campaign_links WHERE campaign_id = $1 AND id = $2`

// Link returns one tracked link, the only URL a click on it may redirect to, or ErrNotFound.
func (s *Store) Link(ctx context.Context, campaignID int64, linkID int) (templates.Link, error) {
	rows, err := s.db.Query(ctx, linkSQL, campaignID, linkID)
	if err != nil {
		return templates.Link{}, fmt.Errorf("campaign: link %d/%d: %w", campaignID, linkID, err)
	}
	l, err := pgx.CollectExactlyOneRow(rows, scanLink)
	if errors.Is(err, pgx.ErrNoRows) {
		return templates.Link{}, fmt.Errorf("campaign: link %d/%d: %w", campaignID, linkID, ErrNotFound)
	}
	if err != nil {
		return templates.Link{}, fmt.Errorf("campaign: link %d/%d: %w", campaignID, linkID, err)
	}
	return l, nil
}

func scanLink(row pgx.CollectableRow) (templates.Link, error) {
	var l templates.Link
	err := row.Scan(&l.ID, &l.URL, &l.Honeypot)
	return l, err
}
