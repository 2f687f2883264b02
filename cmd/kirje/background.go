package main

import (
	"time"

	"github.com/hibiken/asynq"

	"github.com/kirje/kirje/engagement"
	"github.com/kirje/kirje/inbound"
	"github.com/kirje/kirje/privacy"
	"github.com/kirje/kirje/webhook"
	"github.com/kirje/kirje/worker"
)

// webhookDispatcher is the webhook deliverer, enqueueing on the worker's background queue.
func (a *App) webhookDispatcher() *webhook.Dispatcher {
	return webhook.NewDispatcher(a.db, asynq.NewClientFromRedisClient(a.rdb), webhook.Config{
		Queue:  a.cfg.Namespace + worker.QueueBackground,
		Policy: webhook.Policy{AllowPrivate: a.cfg.WebhookAllowPrivate},
		Logger: a.logger,
	})
}

// backgroundTasks are the other packages' work the worker runs on its background server, beside
// and independent of sending: webhook delivery, engagement rollups, retention and the inbound
// purge.
func (a *App) backgroundTasks() (map[string]asynq.HandlerFunc, []worker.Periodic) {
	queue := a.cfg.Namespace + worker.QueueBackground
	disp := a.webhookDispatcher()
	folder := engagement.NewFolder(a.db, engagement.FolderConfig{Logger: a.logger})
	retention := privacy.NewRetention(a.db, privacy.RetentionConfig{
		ClientDataAge: a.cfg.RetentionIP, EventAge: a.cfg.RetentionEvents, Logger: a.logger,
	})
	purger := inbound.Purger{DB: a.db, QuarantineAge: a.cfg.QuarantineRetention,
		SoftBounceWindow: a.cfg.SoftBounceWindow, Logger: a.logger}

	tasks := disp.Handlers()
	tasks[engagement.TypeFold] = folder.ProcessTask
	tasks[privacy.TypeRetention] = retention.ProcessTask
	tasks[inbound.TypePurge] = purger.ProcessTask
	return tasks, []worker.Periodic{
		{Spec: "@every 5s", Task: disp.PumpTask(5 * time.Second)},
		{Spec: "@every 1m", Task: engagement.FoldTask(queue, time.Minute)},
		{Spec: "@every 1h", Task: privacy.NewRetentionTask(queue)},
		{Spec: "@every 1h", Task: inbound.PurgeTask(queue)},
	}
}
