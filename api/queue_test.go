package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/worker"
)

// With the worker's own Scheduler: scheduling through the API leaves the campaign's start task
// on the queue for its time, and scheduling again for a new time adds the new version's task.
func TestScheduleEnqueuesTheStart(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) { o.realQueue = true })
	c := fixture.Campaign(t, e.db.Pool, fixture.Brand(t, e.db.Pool, "kone"), "")
	inspector := asynq.NewInspectorFromRedisClient(e.redis.Client)
	queue := e.redis.Prefix + "control"

	at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	for i := range 2 {
		at = at.Add(time.Duration(i) * time.Minute)
		res := e.as(t, access.RoleMarketer, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/schedule", c.ID),
			map[string]any{"at": at})
		require.Equal(t, http.StatusOK, res.status, "%s", res.body)
		res.json(t, &c)
		require.Equal(t, campaign.StatusScheduled, c.Status)

		info, err := inspector.GetTaskInfo(queue, fmt.Sprintf("start:%d:%d", c.ID, c.ScheduleVersion))
		require.NoError(t, err)
		assert.Equal(t, worker.TypeCampaignStart, info.Type)
		assert.Equal(t, asynq.TaskStateScheduled, info.State)
		assert.True(t, info.NextProcessAt.Equal(at), "%v != %v", info.NextProcessAt, at)
	}
}
