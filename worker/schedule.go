package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/pg"
)

// Scheduler puts campaign work on the queue for the API and the CLI, after their database change
// is committed. When an enqueue fails the reconciler finds the work from the database later, so
// callers may report the error without undoing their change.
type Scheduler struct {
	db        pg.DBTX
	queue     *asynq.Client
	namespace string
}

// NewScheduler returns a Scheduler enqueueing into rdb under namespace.
func NewScheduler(db pg.DBTX, rdb redis.UniversalClient, namespace string) *Scheduler {
	return &Scheduler{db: db, queue: asynq.NewClientFromRedisClient(rdb), namespace: namespace}
}

// Scheduled enqueues the start of a campaign that was just scheduled, at its time.
func (s *Scheduler) Scheduled(ctx context.Context, c campaign.Campaign) error {
	if c.Status != campaign.StatusScheduled || c.ScheduledAt == nil {
		return fmt.Errorf("worker: campaign %d is not scheduled", c.ID)
	}
	_, err := s.queue.EnqueueContext(ctx, NewStartTask(s.namespace, c.ID, c.ScheduleVersion, *c.ScheduledAt))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("worker: enqueue start of campaign %d: %w", c.ID, err)
	}
	return nil
}

// Resumed enqueues the open batches of a campaign that was just resumed. (A campaign resumed
// before it ever started is scheduled again instead; Scheduled handles it.)
func (s *Scheduler) Resumed(ctx context.Context, c campaign.Campaign) error {
	if c.Status == campaign.StatusScheduled {
		return s.Scheduled(ctx, c)
	}
	states, err := campaign.OpenBatches(ctx, s.db, c.ID)
	if err != nil {
		return fmt.Errorf("worker: resume campaign %d: %w", c.ID, err)
	}
	key := "u" + strconv.FormatInt(time.Now().UnixNano(), 36)
	for _, st := range states {
		_, err := s.queue.EnqueueContext(ctx, NewBatchTask(s.namespace, c.ID, st.Batch, key, 0))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return fmt.Errorf("worker: resume campaign %d: enqueue batch %d: %w", c.ID, st.Batch, err)
		}
	}
	return nil
}

// Close releases the queue client.
func (s *Scheduler) Close() error { return s.queue.Close() }
