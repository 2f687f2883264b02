package webhook

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config tunes delivery.
type Config struct {
	// Queue is the asynq queue of webhook tasks: the worker's background queue under its
	// namespace (namespace + worker.QueueBackground), never the send queue.
	Queue         string
	Policy        Policy
	Timeout       time.Duration // per POST, connect to last byte (default 10s)
	RetryWindow   time.Duration // how long a delivery is retried before its subscription is disabled (default 24h)
	FirstRetry    time.Duration // the first retry's delay, doubled on every further failure (default 10s)
	MaxRetryDelay time.Duration // cap on the delay between attempts (default 1h)
	BatchSize     int           // events per delivery (default 100)
	// MaxPending is how many undelivered deliveries a subscription may have before the pump
	// stops making more (default 20): a failing endpoint's backlog stays in the feed, not in
	// copies of it.
	MaxPending int
	// Budget is how long one deliver task keeps sending before it hands over to a fresh task
	// (default 1m), so a busy endpoint cannot hold a background slot forever.
	Budget        time.Duration
	KeepDelivered time.Duration // delivered deliveries are deleted after this (default 7 days)
	Now           func() time.Time
	Logger        *slog.Logger
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Timeout, 10*time.Second)
	def(&c.RetryWindow, 24*time.Hour)
	def(&c.FirstRetry, 10*time.Second)
	def(&c.MaxRetryDelay, time.Hour)
	def(&c.Budget, time.Minute)
	def(&c.KeepDelivered, 7*24*time.Hour)
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Enqueuer is what the dispatcher needs of asynq's client.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Dispatcher moves the feed into deliveries and sends them: the worker runs its tasks.
type Dispatcher struct {
	db     *pgxpool.Pool
	queue  Enqueuer
	store  *Store
	send   *sender
	cfg    Config
	logger *slog.Logger
}

// NewDispatcher returns a Dispatcher. queue enqueues its tasks (an *asynq.Client); it may be nil
// for a Dispatcher used only for Store and Test (the CLI).
func NewDispatcher(db *pgxpool.Pool, queue Enqueuer, cfg Config) *Dispatcher {
	cfg = cfg.withDefaults()
	return &Dispatcher{
		db: db, queue: queue, store: NewStore(db, cfg.Policy, cfg.Now), send: newSender(cfg.Policy, cfg.Timeout),
		cfg: cfg, logger: cfg.Logger,
	}
}

// Store returns the dispatcher's subscription store (same database, policy and clock).
func (d *Dispatcher) Store() *Store { return d.store }

// backoff is the delay after the n-th failed attempt (n ≥ 1).
func (d *Dispatcher) backoff(n int) time.Duration {
	delay := d.cfg.FirstRetry
	for i := 1; i < n && delay < d.cfg.MaxRetryDelay; i++ {
		delay *= 2
	}
	return min(delay, d.cfg.MaxRetryDelay)
}
