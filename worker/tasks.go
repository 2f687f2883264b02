package worker

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types. The worker's ServeMux registers exactly these names (see handlers); asynq routes
// an unknown type to the longest registered prefix, so a test checks every type has a handler.
const (
	TypeCampaignStart = "campaign:start"
	TypeCampaignBatch = "campaign:batch"
	TypeReconcile     = "kirje:reconcile"
)

// Queue names, under the configured namespace.
const (
	queueControl = "control" // campaign starts, reconciliation: small and urgent
	queueSend    = "send"    // send batches
	// QueueBackground is for work of other packages that must not delay sending: webhook
	// deliveries, rollups, retention. A slow endpoint fills this queue, not the send queue.
	QueueBackground = "background"
)

// Queues maps the namespace's queues to their asynq priority weights.
func Queues(namespace string) map[string]int {
	return map[string]int{namespace + queueControl: 6, namespace + queueSend: 4, namespace + QueueBackground: 2}
}

// StartPayload starts a campaign's send.
type StartPayload struct {
	CampaignID int64 `json:"campaign_id"`
	// ScheduleVersion ties the task to one schedule: a task left over from a moved schedule
	// finds a different version and does nothing.
	ScheduleVersion int `json:"schedule_version"`
}

// BatchPayload sends one batch of a campaign.
type BatchPayload struct {
	CampaignID int64 `json:"campaign_id"`
	Batch      int   `json:"batch"`
}

// NewStartTask returns the task that starts a campaign at `at`, with an ID unique to the
// campaign's schedule version so that enqueueing it twice is refused.
func NewStartTask(namespace string, campaignID int64, scheduleVersion int, at time.Time) *asynq.Task {
	b, _ := json.Marshal(StartPayload{CampaignID: campaignID, ScheduleVersion: scheduleVersion})
	return asynq.NewTask(TypeCampaignStart, b,
		asynq.Queue(namespace+queueControl),
		asynq.TaskID(fmt.Sprintf("start:%d:%d", campaignID, scheduleVersion)),
		asynq.ProcessAt(at),
		asynq.MaxRetry(25),
		asynq.Retention(24*time.Hour),
	)
}

// NewBatchTask returns the task that sends one batch. key tells enqueues apart that may
// legitimately coexist (the first run, a deferral to a later time, a reconciliation).
func NewBatchTask(namespace string, campaignID int64, batch int, key string, processIn time.Duration) *asynq.Task {
	b, _ := json.Marshal(BatchPayload{CampaignID: campaignID, Batch: batch})
	return asynq.NewTask(TypeCampaignBatch, b,
		asynq.Queue(namespace+queueSend),
		asynq.TaskID(fmt.Sprintf("batch:%d:%d:%s", campaignID, batch, key)),
		asynq.ProcessIn(processIn),
		asynq.MaxRetry(50),
		asynq.Timeout(30*time.Minute),
	)
}

func decode[T any](t *asynq.Task) (T, error) {
	var p T
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("%s: bad payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return p, nil
}
