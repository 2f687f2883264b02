package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types. Register Handlers' map in worker.Deps.Tasks and PumpTask in worker.Deps.Periodic.
const (
	TypePump    = "webhook:pump"    // periodic: new events into deliveries, due deliveries into tasks
	TypeDeliver = "webhook:deliver" // send one subscription's due deliveries, in order
)

// DeliverPayload names the subscription a deliver task works for.
type DeliverPayload struct {
	SubscriptionID int64 `json:"subscription_id"`
}

// PumpTask returns the periodic pump task, unique per period across worker processes.
func (d *Dispatcher) PumpTask(every time.Duration) *asynq.Task {
	return asynq.NewTask(TypePump, nil,
		asynq.Queue(d.cfg.Queue),
		asynq.Unique(max(time.Second, every-time.Second/2)),
		asynq.MaxRetry(0), // the next period is the retry
		asynq.Timeout(5*time.Minute),
	)
}

// deliverTask is the task that sends subscription sub's delivery `delivery` at attempt number
// attempts+1. Its ID makes enqueueing the same attempt twice (by the pump and by a retry) a
// no-op.
func (d *Dispatcher) deliverTask(sub, delivery int64, attempts int, at time.Time) *asynq.Task {
	b, _ := json.Marshal(DeliverPayload{SubscriptionID: sub})
	return asynq.NewTask(TypeDeliver, b,
		asynq.Queue(d.cfg.Queue),
		asynq.TaskID(fmt.Sprintf("webhook:%d:%d:%d", sub, delivery, attempts)),
		asynq.ProcessAt(at),
		asynq.MaxRetry(5), // only database trouble fails a task; endpoint failures are handled inside
		asynq.Timeout(d.cfg.Budget+2*d.cfg.Timeout),
	)
}

// Handlers maps the task types to their handlers, for worker.Deps.Tasks.
func (d *Dispatcher) Handlers() map[string]asynq.HandlerFunc {
	return map[string]asynq.HandlerFunc{
		TypePump:    d.processPump,
		TypeDeliver: d.processDeliver,
	}
}

func (d *Dispatcher) processPump(ctx context.Context, _ *asynq.Task) error {
	_, err := d.Pump(ctx)
	return err
}

func (d *Dispatcher) processDeliver(ctx context.Context, t *asynq.Task) error {
	var p DeliverPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.SubscriptionID <= 0 {
		return fmt.Errorf("%s: bad payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	_, err := d.Deliver(ctx, p.SubscriptionID)
	return err
}
