package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
)

// processStart starts a scheduled campaign: in one transaction it marks the campaign running and
// materialises its audience into the ledger; after the commit it enqueues the batches. A retry
// after a crash between the two finds the campaign running and enqueues its open batches again;
// the deterministic task IDs and the ledger's claims make the repeat harmless.
func (w *Worker) processStart(ctx context.Context, t *asynq.Task) error {
	p, err := decode[StartPayload](t)
	if err != nil {
		return err
	}
	log := w.logger.With("campaign_id", p.CampaignID)
	c, err := campaign.New(w.db).Get(ctx, p.CampaignID)
	if errors.Is(err, campaign.ErrNotFound) {
		return fmt.Errorf("start: campaign %d: %w", p.CampaignID, asynq.SkipRetry)
	}
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if c.ScheduleVersion != p.ScheduleVersion {
		log.Info("worker: start task of an earlier schedule ignored", "schedule_version", p.ScheduleVersion)
		return nil
	}
	// asynq keeps scheduled times in whole seconds, so a start can be delivered up to a second
	// early; wait for the campaign's own time.
	if c.ScheduledAt != nil {
		if early := c.ScheduledAt.Sub(w.now()); early > 0 && early <= 2*time.Second {
			select {
			case <-time.After(early):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	var batches []int
	switch c.Status {
	case campaign.StatusScheduled:
		var res campaign.MaterializeResult
		err = pg.InTx(ctx, w.db, func(tx pgx.Tx) error {
			running, err := campaign.New(tx).MarkRunning(ctx, c.ID, c.ScheduleVersion)
			if err != nil {
				return err
			}
			if res, err = campaign.Materialize(ctx, tx, running, w.cfg.BatchSize); err != nil {
				return err
			}
			return reportDroppedAtStart(ctx, tx, running, res, w.now())
		})
		if errors.Is(err, campaign.ErrStaleSchedule) || errors.Is(err, campaign.ErrInvalidTransition) {
			log.Info("worker: campaign changed before its start; nothing to do", "err", err)
			return nil
		}
		if err != nil {
			return fmt.Errorf("start: %w", err)
		}
		if res.Written {
			w.metrics.sends.WithLabelValues("dropped").Add(float64(res.Dropped))
		}
		log.Info("worker: campaign started", "audience", res.Audience, "dropped", res.Dropped, "batches", res.Batches)
		for b := range res.Batches {
			batches = append(batches, b)
		}
	case campaign.StatusRunning:
		if batches, err = w.openBatches(ctx, c.ID); err != nil {
			return fmt.Errorf("start: %w", err)
		}
	default:
		return nil // paused, cancelled or done before its time came
	}
	if err := w.enqueueBatches(ctx, c.ID, batches, "s"); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	return w.finishIfDone(ctx, c.ID)
}

// reportDroppedAtStart writes a dropped event for every contact the audience left out at
// materialisation because the register does not allow marketing to them (banned, or a b2c
// contact without consent), as a send does for a contact banned later: every row of the ledger
// has an event that reports its outcome. It runs in the materialising transaction, so the rows
// and their events commit together; a start that finds the ledger written reports nothing.
func reportDroppedAtStart(ctx context.Context, tx pgx.Tx, c campaign.Campaign, res campaign.MaterializeResult, now time.Time) error {
	if !res.Written || res.Dropped == 0 {
		return nil // a second start of the same campaign found them reported
	}
	rows, err := campaign.DroppedAtStart(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	evs := make([]events.Event, len(rows))
	for i, r := range rows {
		evs[i] = events.Event{Type: events.Dropped, OccurredAt: now, CampaignID: c.ID, ContactID: r.ContactID,
			BrandID: c.BrandID, Reason: r.Detail}
	}
	if _, err := events.Copy(ctx, tx, evs); err != nil {
		return fmt.Errorf("report contacts dropped at start: %w", err)
	}
	return nil
}

// openBatches lists the batches of a campaign that still have rows to send.
func (w *Worker) openBatches(ctx context.Context, campaignID int64) ([]int, error) {
	states, err := campaign.OpenBatches(ctx, w.db, campaignID)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(states))
	for i, s := range states {
		out[i] = s.Batch
	}
	return out, nil
}

// enqueueBatches enqueues one task per batch. A conflict means that task is queued already.
func (w *Worker) enqueueBatches(ctx context.Context, campaignID int64, batches []int, key string) error {
	for _, b := range batches {
		_, err := w.queue.EnqueueContext(ctx, NewBatchTask(w.cfg.Namespace, campaignID, b, key, 0))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return fmt.Errorf("enqueue batch %d of campaign %d: %w", b, campaignID, err)
		}
	}
	return nil
}

// finishIfDone marks a running campaign done once its ledger has no open rows.
func (w *Worker) finishIfDone(ctx context.Context, campaignID int64) error {
	open, err := campaign.HasOpen(ctx, w.db, campaignID)
	if err != nil || open {
		return err
	}
	c, err := campaign.New(w.db).MarkDone(ctx, campaignID)
	switch {
	case errors.Is(err, campaign.ErrInvalidTransition), errors.Is(err, campaign.ErrOpenSends):
		return nil // not running (paused, cancelled), or rows reopened since HasOpen
	case err != nil:
		return fmt.Errorf("finish campaign %d: %w", campaignID, err)
	}
	w.campaigns.forget(campaignID)
	w.logger.Info("worker: campaign done", "campaign_id", campaignID, "finished_at", c.FinishedAt)
	return nil
}
