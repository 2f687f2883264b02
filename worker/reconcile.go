package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"

	"github.com/kirje/kirje/campaign"
)

// processReconcile makes the queue agree with the database. Redis is not in PostgreSQL's
// transactions, so an enqueue after a commit can be lost (a crash, a Redis restart without its
// data). The database says what is still to do: scheduled campaigns whose time has come, and
// running campaigns whose ledger has open rows but has not moved for StaleAfter.
func (w *Worker) processReconcile(ctx context.Context, _ *asynq.Task) error {
	store := campaign.New(w.db)
	due, err := store.Due(ctx, w.now())
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	for _, c := range due {
		_, err := w.queue.EnqueueContext(ctx, NewStartTask(w.cfg.Namespace, c.ID, c.ScheduleVersion, w.now()))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return fmt.Errorf("reconcile: enqueue start of campaign %d: %w", c.ID, err)
		}
	}
	running, err := store.Running(ctx)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	for _, c := range running {
		if err := w.reconcileCampaign(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func (w *Worker) reconcileCampaign(ctx context.Context, c campaign.Campaign) error {
	last, err := campaign.LastActivity(ctx, w.db, c.ID)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	if w.now().Sub(last) < w.cfg.StaleAfter {
		return nil // progressing: its tasks are out there
	}
	batches, err := w.openBatches(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	if len(batches) == 0 {
		return w.finishIfDone(ctx, c.ID)
	}
	w.logger.Warn("worker: re-enqueueing a stalled campaign's batches", "campaign_id", c.ID, "batches", len(batches))
	// One reconciliation task per batch and period: the key changes with the stale time.
	return w.enqueueBatches(ctx, c.ID, batches, "r"+strconv.FormatInt(last.Unix(), 10))
}
