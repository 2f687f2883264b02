package inbound

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TypePurge is the periodic task that forgets old inbound data: quarantined raw messages (they
// hold personal data) and soft bounces older than the counting window.
const TypePurge = "inbound:purge"

// PurgeTask returns the periodic purge task for queue (the worker's background queue).
func PurgeTask(queue string) *asynq.Task {
	return asynq.NewTask(TypePurge, nil, asynq.Queue(queue), asynq.Unique(30*time.Minute),
		asynq.MaxRetry(3), asynq.Timeout(10*time.Minute))
}

// Purger runs the purge.
type Purger struct {
	DB               *pgxpool.Pool
	QuarantineAge    time.Duration // quarantined mail older than this is deleted (0: kept)
	SoftBounceWindow time.Duration // soft bounces older than the counting window are deleted
	Logger           *slog.Logger
	Now              func() time.Time
}

// ProcessTask is the asynq handler of TypePurge.
func (p Purger) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	var quarantined, soft int64
	var err error
	if p.QuarantineAge > 0 {
		if quarantined, err = PurgeQuarantine(ctx, p.DB, now().Add(-p.QuarantineAge)); err != nil {
			return fmt.Errorf("inbound: purge: %w", err)
		}
	}
	if p.SoftBounceWindow > 0 {
		if soft, err = PurgeSoftBounces(ctx, p.DB, now().Add(-p.SoftBounceWindow)); err != nil {
			return fmt.Errorf("inbound: purge: %w", err)
		}
	}
	if p.Logger != nil && quarantined+soft > 0 {
		p.Logger.Info("inbound: purged old data", "quarantined", quarantined, "soft_bounces", soft)
	}
	return nil
}
