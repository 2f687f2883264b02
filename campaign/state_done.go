package campaign

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// markDoneSQL finishes a running campaign only when its ledger has no open row. Rows never go from
// a final status back to open, so once the NOT EXISTS holds it stays true. The open row is looked
// for as hasOpenSQL does, in batch order, so that the partial index send_ledger_open_idx answers
// without touching finished rows whatever the statistics say.
const markDoneSQL = `
UPDATE campaigns SET status = 'done', finished_at = now(), updated_at = now()
WHERE id = $1 AND status = 'running'
  AND NOT EXISTS (SELECT 1 FROM (` + hasOpenSQL + `) AS open_row)
RETURNING ` + campaignCols

// MarkDone finishes a running campaign whose ledger rows all have their outcome, and sets
// FinishedAt. It is idempotent: a done campaign is returned as it is. It returns ErrOpenSends while
// rows are pending or sending, and ErrInvalidTransition from any other status.
func (s *Store) MarkDone(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(s.db.QueryRow(ctx, markDoneSQL, id))
	if !errors.Is(err, pgx.ErrNoRows) {
		return transitionResult(c, err, "mark done", id)
	}
	cur, err := s.Get(ctx, id)
	switch {
	case err != nil:
		return Campaign{}, fmt.Errorf("campaign: mark done: %w", err)
	case cur.Status == StatusDone:
		return cur, nil
	case cur.Status == StatusRunning:
		return Campaign{}, fmt.Errorf("campaign: mark done %d: %w", id, ErrOpenSends)
	}
	return Campaign{}, invalidTransition("mark done", id, cur.Status, StatusDone)
}

// transition runs a transition statement; when it matches no row it tells ErrNotFound from
// ErrInvalidTransition by reading the current status.
func (s *Store) transition(ctx context.Context, op string, id int64, to Status, sql string, args ...any) (Campaign, error) {
	c, err := scanCampaign(s.db.QueryRow(ctx, sql, args...))
	if !errors.Is(err, pgx.ErrNoRows) {
		return transitionResult(c, err, op, id)
	}
	cur, err := s.Get(ctx, id)
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign: %s: %w", op, err)
	}
	return Campaign{}, invalidTransition(op, id, cur.Status, to)
}

func transitionResult(c Campaign, err error, op string, id int64) (Campaign, error) {
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign: %s %d: %w", op, id, err)
	}
	return c, nil
}

func invalidTransition(op string, id int64, from, to Status) error {
	return fmt.Errorf("campaign: %s %d: %w: %s → %s", op, id, ErrInvalidTransition, from, to)
}
