package campaign

import (
	"context"
	"fmt"

	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/register"
)

// refusalSQL is the register's rule (register.Contact.Mailable) over contacts c as SQL: the reason
// a contact may not receive marketing, or ” when it may. Keep the two in step.
const refusalSQL = `CASE WHEN c.banned_at IS NOT NULL THEN '` + register.NotMailableBanned + `'
            WHEN c.kind = '` + string(register.B2C) + `' AND c.consent_at IS NULL THEN '` + register.NotMailableNoConsent + `'
            ELSE '' END`

// PreviewCounts is the size of a segment today.
type PreviewCounts struct {
	Matching int64 `json:"matching"` // contacts the filter matches
	Mailable int64 `json:"mailable"` // of those, the ones the register allows marketing to (not banned; b2c with consent)
}

// previewSQL counts a segment in one scan. %s is the compiled filter.
const previewSQL = `
SELECT count(*), count(*) FILTER (WHERE ` + refusalSQL + ` = '')
FROM ` + audienceFrom + `
WHERE %s`

// Preview counts the contacts f matches and how many of them may be mailed. The suppression list
// is not consulted: it is checked right before each send. Invalid filters give an error wrapping
// ErrInvalidFilter.
func Preview(ctx context.Context, db pg.DBTX, f Filter) (PreviewCounts, error) {
	args := &Args{}
	where, err := f.Where(args)
	if err != nil {
		return PreviewCounts{}, fmt.Errorf("campaign: preview: %w", err)
	}
	var pc PreviewCounts
	err = db.QueryRow(ctx, fmt.Sprintf(previewSQL, where), args.Values()...).Scan(&pc.Matching, &pc.Mailable)
	if err != nil {
		return PreviewCounts{}, fmt.Errorf("campaign: preview: %w", err)
	}
	return pc, nil
}

// Estimate is the audience a campaign that has not started (a draft, scheduled, or paused
// before its start) would have if it started now: its segment's Preview. It is nil once the
// campaign has started, when its ledger holds the audience, and for a cancelled one.
func Estimate(ctx context.Context, db pg.DBTX, c Campaign) (*PreviewCounts, error) {
	if c.StartedAt != nil || c.Status == StatusCancelled || c.Status == StatusDone {
		return nil, nil
	}
	pc, err := Preview(ctx, db, c.Segment)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: estimate: %w", c.ID, err)
	}
	return &pc, nil
}
