package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Every transition is one UPDATE … WHERE status IN (allowed) RETURNING: the row lock makes
// concurrent callers queue, and the loser re-checks the WHERE against the winner's row (READ
// COMMITTED), finds the status changed and gets ErrInvalidTransition. No read-then-write races.

// scheduleSQL: a draft or scheduled campaign, or a paused one that never started, gets a (new)
// start time and a new schedule version, so the start task of an older schedule is refused.
const scheduleSQL = `
UPDATE campaigns
SET status = 'scheduled', scheduled_at = $2, schedule_version = schedule_version + 1, updated_at = now()
WHERE id = $1 AND (status IN ('draft', 'scheduled') OR (status = 'paused' AND started_at IS NULL))
RETURNING ` + campaignCols

// Schedule sets the campaign to start at at (a time in the past means now) and bumps its
// ScheduleVersion. Allowed from draft, scheduled (to move the time) and paused before it ever
// started; otherwise ErrInvalidTransition.
func (s *Store) Schedule(ctx context.Context, id int64, at time.Time) (Campaign, error) {
	if at.IsZero() {
		return Campaign{}, fmt.Errorf("campaign: schedule %d: %w: no time given", id, ErrInvalid)
	}
	return s.transition(ctx, "schedule", id, StatusScheduled, scheduleSQL, id, at)
}

// markRunningSQL keeps started_at from the first start, so a repeated start task changes nothing.
const markRunningSQL = `
UPDATE campaigns
SET status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
WHERE id = $1 AND status IN ('scheduled', 'running') AND schedule_version = $2
RETURNING ` + campaignCols

// MarkRunning starts a scheduled campaign for the given schedule version (the one the start task
// was created for) and sets StartedAt. It is idempotent: an already running campaign is returned
// as it is. A different version gives ErrStaleSchedule (the campaign was rescheduled since the task
// was enqueued); any other status gives ErrInvalidTransition. Run it in the transaction that
// materialises the audience.
func (s *Store) MarkRunning(ctx context.Context, id int64, scheduleVersion int) (Campaign, error) {
	c, err := scanCampaign(s.db.QueryRow(ctx, markRunningSQL, id, scheduleVersion))
	if !errors.Is(err, pgx.ErrNoRows) {
		return transitionResult(c, err, "mark running", id)
	}
	cur, err := s.Get(ctx, id)
	if err != nil {
		return Campaign{}, fmt.Errorf("campaign: mark running: %w", err)
	}
	if (cur.Status == StatusScheduled || cur.Status == StatusRunning) && cur.ScheduleVersion != scheduleVersion {
		return Campaign{}, fmt.Errorf("campaign: mark running %d: %w: version %d, current %d",
			id, ErrStaleSchedule, scheduleVersion, cur.ScheduleVersion)
	}
	return Campaign{}, invalidTransition("mark running", id, cur.Status, StatusRunning)
}

const pauseSQL = `
UPDATE campaigns SET status = 'paused', updated_at = now()
WHERE id = $1 AND status IN ('scheduled', 'running')
RETURNING ` + campaignCols

// Pause stops a running campaign from claiming further batches (the batch in hand finishes), or
// holds a scheduled one before it starts. Allowed from scheduled and running.
func (s *Store) Pause(ctx context.Context, id int64) (Campaign, error) {
	return s.transition(ctx, "pause", id, StatusPaused, pauseSQL, id)
}

// resumeSQL: back to running if the campaign had started, else to scheduled with a new schedule
// version (its old start task may have fired and been refused while it was paused).
const resumeSQL = `
UPDATE campaigns
SET status = CASE WHEN started_at IS NULL THEN 'scheduled' ELSE 'running' END,
    schedule_version = schedule_version + CASE WHEN started_at IS NULL THEN 1 ELSE 0 END,
    updated_at = now()
WHERE id = $1 AND status = 'paused'
RETURNING ` + campaignCols

// Resume continues a paused campaign: running again if it had started, otherwise scheduled at its
// ScheduledAt (with a new ScheduleVersion; the caller enqueues a start task for it).
func (s *Store) Resume(ctx context.Context, id int64) (Campaign, error) {
	return s.transition(ctx, "resume", id, StatusRunning, resumeSQL, id)
}

const cancelSQL = `
UPDATE campaigns SET status = 'cancelled', finished_at = now(), updated_at = now()
WHERE id = $1 AND status IN ('draft', 'scheduled', 'running', 'paused')
RETURNING ` + campaignCols

// Cancel stops a campaign for good. Its open ledger rows stay as they are and are never claimed
// again (Claim only serves running campaigns); messages in flight finish. Allowed from any status
// but done and cancelled.
func (s *Store) Cancel(ctx context.Context, id int64) (Campaign, error) {
	return s.transition(ctx, "cancel", id, StatusCancelled, cancelSQL, id)
}
