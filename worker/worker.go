package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/kirje/kirje/internal/ratelimit"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/token"
)

// Config tunes the worker.
type Config struct {
	Namespace   string        // prefix of queue names and Redis keys
	Concurrency int           // batches in progress at once (default 20); connections are bounded by the relay pools
	BatchSize   int           // recipients per batch (default 100)
	Lease       time.Duration // how long a claimed row stays claimed (default 2m)
	DomainRate  float64       // messages/s per recipient domain, all workers together; 0 = unlimited
	DomainBurst int
	// MaxAttempts is how many times a recipient is tried through temporary failures before it is
	// recorded as failed (default 10).
	MaxAttempts int
	// MailDomain is the domain of the mailto unsubscribe address (and of VERP return paths).
	MailDomain string
	// VERP sets a per-message return path b+TOKEN@MailDomain, for inbound bounce processing.
	VERP bool
	// ReconcileEvery is the reconciler's period (default 30s); StaleAfter is how long a running
	// campaign's ledger may go without progress before the reconciler re-enqueues its batches
	// (default 2m).
	ReconcileEvery time.Duration
	StaleAfter     time.Duration
	// PollInterval is how often idle workers look for due tasks (default 100ms): it bounds the
	// delay from a campaign's scheduled time to its start.
	PollInterval time.Duration
	// BackgroundConcurrency is how many background tasks (webhooks, rollups, retention) run at
	// once, beside and independent of sending (default 4).
	BackgroundConcurrency int
}

func (c Config) withDefaults() Config {
	if c.Concurrency <= 0 {
		c.Concurrency = 20
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.ReconcileEvery <= 0 {
		c.ReconcileEvery = 30 * time.Second
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = 2 * time.Minute
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.BackgroundConcurrency <= 0 {
		c.BackgroundConcurrency = 4
	}
	return c
}

// Deps are the services the worker drives.
type Deps struct {
	DB          *pgxpool.Pool
	Redis       redis.UniversalClient
	Suppression *suppression.List
	Limiter     *ratelimit.Limiter
	Relays      map[string]*mailer.Pool // by relay name; brands choose one
	Links       token.Links
	Logger      *slog.Logger
	Metrics     *Metrics
	Now         func() time.Time
	// Tasks are further task handlers by exact type name, from packages that own their work
	// (webhook delivery, retention…). They may not reuse the worker's own types.
	Tasks map[string]asynq.HandlerFunc
	// Periodic are further tasks enqueued on a cron-like spec ("@every 1m") by every worker
	// process's scheduler; give them asynq.Unique so processes do not duplicate them.
	Periodic []Periodic
}

// Periodic is a task enqueued on a schedule.
type Periodic struct {
	Spec string
	Task *asynq.Task
}

// Worker processes Kirje's tasks.
type Worker struct {
	cfg       Config
	db        *pgxpool.Pool
	rdb       redis.UniversalClient
	supp      *suppression.List
	limiter   *ratelimit.Limiter
	links     token.Links
	campaigns *campaignCache
	writer    *ledgerWriter
	queue     *asynq.Client
	logger    *slog.Logger
	metrics   *Metrics
	now       func() time.Time
	extra     map[string]asynq.HandlerFunc
	periodic  []Periodic
}

// New returns a Worker; Run starts it.
func New(cfg Config, d Deps) (*Worker, error) {
	cfg = cfg.withDefaults()
	if d.DB == nil || d.Redis == nil || d.Suppression == nil || d.Limiter == nil || len(d.Relays) == 0 || d.Links.Keys == nil {
		return nil, errors.New("worker: database, Redis, suppression list, limiter, relays and links are required")
	}
	if cfg.MailDomain == "" {
		return nil, errors.New("worker: MailDomain is required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics(nil)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	w := &Worker{
		cfg: cfg, db: d.DB, rdb: d.Redis, supp: d.Suppression, limiter: d.Limiter, links: d.Links,
		campaigns: newCampaignCache(d.DB, d.Relays),
		writer:    newLedgerWriter(d.DB, d.Logger),
		queue:     asynq.NewClientFromRedisClient(d.Redis),
		logger:    d.Logger, metrics: d.Metrics, now: d.Now,
		extra: d.Tasks, periodic: d.Periodic,
	}
	for typ := range d.Tasks {
		if _, ok := w.ownHandlers()[typ]; ok {
			return nil, fmt.Errorf("worker: task type %q is the worker's own", typ)
		}
	}
	return w, nil
}

// handlers maps every task type to its handler. The mux registers exactly these names.
func (w *Worker) handlers() map[string]asynq.HandlerFunc {
	hs := w.ownHandlers()
	for typ, h := range w.extra {
		hs[typ] = h
	}
	return hs
}

func (w *Worker) ownHandlers() map[string]asynq.HandlerFunc {
	return map[string]asynq.HandlerFunc{
		TypeCampaignStart: w.processStart,
		TypeCampaignBatch: w.processBatch,
		TypeReconcile:     w.processReconcile,
	}
}

func (w *Worker) mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	for typ, h := range w.handlers() {
		mux.Handle(typ, h)
	}
	return mux
}

// Run processes tasks until ctx is done, then shuts down: it stops taking tasks, lets running
// batches finish (or hands their rows back), and commits every recorded outcome.
func (w *Worker) Run(ctx context.Context) error {
	go w.writer.run()
	defer w.writer.close()

	// Two servers: sending never waits for a slot that a slow webhook endpoint holds.
	send := w.server(w.cfg.Concurrency+2, map[string]int{
		w.cfg.Namespace + queueControl: 6, w.cfg.Namespace + queueSend: 4})
	background := w.server(w.cfg.BackgroundConcurrency, map[string]int{w.cfg.Namespace + QueueBackground: 1})
	if err := send.Start(w.mux()); err != nil {
		return fmt.Errorf("worker: start: %w", err)
	}
	if err := background.Start(w.mux()); err != nil {
		send.Shutdown()
		return fmt.Errorf("worker: start: %w", err)
	}
	srv := serverPair{send, background}
	sched, err := w.startScheduler()
	if err != nil {
		srv.Shutdown()
		return err
	}
	w.logger.Info("worker: running", "concurrency", w.cfg.Concurrency, "batch_size", w.cfg.BatchSize,
		"background_concurrency", w.cfg.BackgroundConcurrency)
	<-ctx.Done()
	w.logger.Info("worker: shutting down")
	sched.Shutdown()
	srv.Shutdown()
	return nil
}

func (w *Worker) server(concurrency int, queues map[string]int) *asynq.Server {
	return asynq.NewServerFromRedisClient(w.rdb, asynq.Config{
		Concurrency:              concurrency,
		Queues:                   queues,
		RetryDelayFunc:           retryDelay,
		ShutdownTimeout:          25 * time.Second,
		TaskCheckInterval:        w.cfg.PollInterval,
		DelayedTaskCheckInterval: w.cfg.PollInterval,
		Logger:                   asynqLogger{w.logger},
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			w.logger.Warn("worker: task failed", "task_type", t.Type(), "err", err)
		}),
	})
}

type serverPair [2]*asynq.Server

func (p serverPair) Shutdown() {
	for _, s := range p {
		s.Shutdown()
	}
}

// startScheduler registers the periodic reconciliation. Every worker process runs a scheduler;
// the task's uniqueness window makes their enqueues one task per period.
func (w *Worker) startScheduler() (*asynq.Scheduler, error) {
	sched := asynq.NewSchedulerFromRedisClient(w.rdb, &asynq.SchedulerOpts{
		Logger: asynqLogger{w.logger}, LogLevel: asynq.WarnLevel,
	})
	spec := fmt.Sprintf("@every %s", w.cfg.ReconcileEvery)
	task := asynq.NewTask(TypeReconcile, nil, asynq.Queue(w.cfg.Namespace+queueControl),
		asynq.Unique(max(time.Second, w.cfg.ReconcileEvery-time.Second/2)), asynq.MaxRetry(0))
	if _, err := sched.Register(spec, task); err != nil {
		return nil, fmt.Errorf("worker: schedule reconciliation: %w", err)
	}
	for _, p := range w.periodic {
		if _, err := sched.Register(p.Spec, p.Task); err != nil {
			return nil, fmt.Errorf("worker: schedule %s: %w", p.Task.Type(), err)
		}
	}
	if err := sched.Start(); err != nil {
		return nil, fmt.Errorf("worker: start scheduler: %w", err)
	}
	return sched, nil
}

// retryDelay backs off from 5 s to 5 min: long enough not to hammer a relay or a Redis that is
// down, short enough that sends resume soon after it is back.
func retryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	d := 5 * time.Second << min(n, 6)
	return min(d, 5*time.Minute)
}

// Close releases the worker's queue client.
func (w *Worker) Close() error { return w.queue.Close() }
