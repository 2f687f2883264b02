package engagement

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// TypeFold is the periodic task that runs a Folder. The worker registers it with the handler
// ProcessTask (worker.Deps.Tasks) and enqueues FoldTask on a schedule (worker.Deps.Periodic).
const TypeFold = "engagement:fold"

// FoldTask returns the periodic fold task for queue (the worker's background queue under its
// namespace). Its uniqueness window keeps every worker process's scheduler from piling up
// copies while one runs; the cursor lock would make them harmless anyway.
func FoldTask(queue string, every time.Duration) *asynq.Task {
	return asynq.NewTask(TypeFold, nil,
		asynq.Queue(queue),
		asynq.Unique(max(time.Second, every-time.Second/2)),
		asynq.MaxRetry(0), // the next period is the retry
		asynq.Timeout(15*time.Minute),
	)
}

// ProcessTask runs the folder: the asynq handler for TypeFold.
func (f *Folder) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	_, err := f.Run(ctx)
	return err
}
