package suppression

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Config configures a List.
type Config struct {
	// RedisURL names the Redis that holds the mirror (redis://host:port/db). Ignored when
	// RedisOptions is set.
	RedisURL string
	// RedisOptions, when set, is copied and used instead of RedisURL. Its OnConnect, if any, still
	// runs (before the List's own hook). DialerRetries defaults to 2 rather than go-redis's 5, so
	// that Check fails closed quickly while Redis is down, and Protocol to 2 (RESP2).
	RedisOptions *redis.Options
	// Prefix starts every key the List writes; default "kirje:".
	Prefix string
	// Logger receives rebuild and verification reports; default discards.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// VerifyInterval is how often Run compares the mirror with PostgreSQL; default 30s.
	VerifyInterval time.Duration
	// LockTTL bounds how long a crashed rebuilder can block others; it is renewed while a rebuild
	// makes progress. Default 60s.
	LockTTL time.Duration
}

// List is the suppression list: PostgreSQL rows and their Redis mirror. It is safe for
// concurrent use. Close releases its Redis client.
type List struct {
	pool   *pgxpool.Pool
	rdb    *redis.Client
	log    *slog.Logger
	now    func() time.Time
	cfg    Config
	keys   keys
	lockID int32 // PostgreSQL advisory lock object ID for this mirror, see barrier.go

	runID   atomic.Pointer[string] // run_id of the Redis server the latest connection reached
	wake    chan struct{}          // asks Run to verify now (Check found the mirror unready, or a Remove failed)
	stats   counters
	combine combiner // shares Check's lookups between concurrent callers
}

// keys are the mirror's Redis keys. The {suppression} hash tag keeps them in one cluster slot.
type keys struct {
	set, lock, tmpPrefix string
}

func newKeys(prefix string) keys {
	p := prefix + "{suppression}:"
	return keys{set: p + "set", lock: p + "rebuild", tmpPrefix: p + "tmp:"}
}

// New returns a List on pool and its own Redis client built from cfg. It does not contact Redis:
// a List made while Redis is down answers Check with ErrUnavailable until Redis is back and the
// mirror is built (see EnsureReady and Run).
func New(pool *pgxpool.Pool, cfg Config) (*List, error) {
	var opts redis.Options
	switch {
	case cfg.RedisOptions != nil:
		opts = *cfg.RedisOptions
	case cfg.RedisURL != "":
		o, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("suppression: redis URL: %w", err)
		}
		opts = *o
	default:
		return nil, errors.New("suppression: no Redis configured")
	}
	if opts.DialerRetries <= 0 {
		opts.DialerRetries = 2
	}
	if opts.Protocol == 0 {
		// RESP2: the List needs nothing of RESP3, whose push-notification handling costs about a
		// tenth of Check's client CPU.
		opts.Protocol = 2
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "kirje:"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.VerifyInterval <= 0 {
		cfg.VerifyInterval = 30 * time.Second
	}
	if cfg.LockTTL <= 0 {
		cfg.LockTTL = 60 * time.Second
	}
	h := fnv.New32a()
	h.Write([]byte(cfg.Prefix))
	l := &List{
		pool: pool, log: cfg.Logger, now: cfg.Now, cfg: cfg, keys: newKeys(cfg.Prefix),
		lockID: int32(h.Sum32()), wake: make(chan struct{}, 1),
	}
	l.combine.inFlight = make(chan struct{}, 1)
	// Socket deadlines follow the caller's context too, so a context deadline bounds a command
	// even when the client's own timeouts are switched off (Check relies on it).
	opts.ContextTimeoutEnabled = true
	userHook := opts.OnConnect
	opts.OnConnect = func(ctx context.Context, cn *redis.Conn) error {
		if userHook != nil {
			if err := userHook(ctx, cn); err != nil {
				return err
			}
		}
		return l.recordRunID(ctx, cn)
	}
	l.rdb = redis.NewClient(&opts)
	return l, nil
}

// Close releases the Redis client. The pool belongs to the caller.
func (l *List) Close() error { return l.rdb.Close() }

// recordRunID stores the run_id of the server a new connection reached. Every Redis restart
// gives a new run_id, and every command after a restart runs on a new connection, so by the time
// any command returns, l.runID names the server that answered it.
func (l *List) recordRunID(ctx context.Context, cn *redis.Conn) error {
	info, err := cn.Info(ctx, "server").Result()
	if err != nil {
		return fmt.Errorf("suppression: read redis run_id: %w", err)
	}
	id := parseRunID(info)
	if id == "" {
		return errors.New("suppression: redis INFO server has no run_id")
	}
	l.runID.Store(&id)
	return nil
}

func parseRunID(info string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(line, "run_id:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// currentRunID is the run_id recorded by the latest connection ("" before any).
func (l *List) currentRunID() string {
	if p := l.runID.Load(); p != nil {
		return *p
	}
	return ""
}

// requestVerify asks Run to verify the mirror now, without blocking.
func (l *List) requestVerify() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}
