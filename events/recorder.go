package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrClosed is returned by Record after the Recorder stopped.
var ErrClosed = errors.New("events: recorder closed")

// ErrBusy is returned by Record when MaxQueued groups are waiting for the stream already: Redis is
// not keeping up (or not answering), and the event is refused at once instead of queued.
var ErrBusy = errors.New("events: recorder busy: the event stream is not keeping up")

// errExpired fails a group that waited longer than the write timeout for a writer, unwritten.
var errExpired = errors.New("events: record: not written within the write timeout")

// StreamKey is the Redis stream, under a namespace prefix, that carries recorded events to the
// Ingester, in the binary form of wire.go. A new entry format gets a new stream: a process that
// does not know it then never sees it (and cannot drop it as undecodable) while a deployment is
// half upgraded or rolled back.
func StreamKey(prefix string) string { return prefix + "events:b1" }

// legacyStreamKey is the stream of versions before the binary form (JSON entries). Ingesters
// still read it, so a serve process of such a version can run beside upgraded workers.
func legacyStreamKey(prefix string) string { return prefix + "events" }

// Recorder acknowledges opens and clicks once they are durable in a Redis stream, without one
// round trip per event: Record adds the event to the group that is filling and waits; a writer
// appends a whole group as one stream entry the moment it is free (group commit), then wakes
// every waiter of that group at once. Under load many requests share one XADD; when idle an
// event is written at once, with no timer to wait for.
type Recorder struct {
	rdb      *redis.Client
	stream   string
	logger   *slog.Logger
	maxBatch int
	maxQueue int
	timeout  time.Duration
	wake     chan struct{} // a group is waiting for a writer (capacity 1)
	done     chan struct{} // closed by Close
	wg       sync.WaitGroup

	added atomic.Uint64 // events queued so far, for letJoin to see groups grow

	mu     sync.Mutex
	queue  []*group // groups not yet taken by a writer; the last one is filling
	closed bool
}

// group is the events that share one stream entry, already encoded, and the outcome their
// waiters read once done is closed.
type group struct {
	payload []byte
	n       int
	created time.Time
	err     error
	done    chan struct{}
}

// RecorderConfig tunes a Recorder.
type RecorderConfig struct {
	Prefix string // namespace of the stream key
	Logger *slog.Logger
	// Writers is the number of concurrent appenders (default 1). One writer makes the largest
	// groups, which costs Redis and the ingester least; more lower the wait under light load
	// when the round trip to Redis is long.
	Writers int
	// MaxBatch caps the events per stream entry (default 512).
	MaxBatch int
	// WriteTimeout bounds one append to the stream (default 5s), and how long a group may wait
	// for a writer before it is failed unwritten: a Record returns within about twice this, even
	// when Redis hangs. Events that run out are not acknowledged.
	WriteTimeout time.Duration
	// MaxQueued caps the groups waiting for a writer (default 64); beyond it Record fails at once
	// with ErrBusy.
	MaxQueued int
}

// NewRecorder connects to the Redis opts names with a client of its own and starts the writers;
// Close stops them and closes the client. The client never retries a command (MaxRetries is set
// to -1 whatever opts says): an XADD whose reply was lost may have been applied, and a retry would
// then add the group a second time under a new entry ID, which the ingester's dedupe keys (made
// from entry IDs) would store twice. A failed append fails its group instead, unacknowledged.
// Its pool holds a connection per writer, the most it can use at once.
func NewRecorder(opts *redis.Options, cfg RecorderConfig) *Recorder {
	if cfg.Writers <= 0 {
		cfg.Writers = 1
	}
	o := *opts
	o.MaxRetries = -1
	o.PoolSize = cfg.Writers
	o.MinIdleConns = min(o.MinIdleConns, cfg.Writers)
	o.MaxIdleConns = min(o.MaxIdleConns, cfg.Writers)
	rdb := redis.NewClient(&o)
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 512
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{
		rdb:      rdb,
		stream:   StreamKey(cfg.Prefix),
		logger:   cfg.Logger,
		maxBatch: cfg.MaxBatch,
		maxQueue: cfg.MaxQueued,
		timeout:  cfg.WriteTimeout,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	for range cfg.Writers {
		r.wg.Add(1)
		go r.write()
	}
	return r
}

// Record returns nil once ev is durable in the stream (and will reach PostgreSQL through the
// Ingester), or an error if it is not: the caller must then not claim it was recorded. The wait
// is bounded by the write timeout (see RecorderConfig) as well as by ctx.
func (r *Recorder) Record(ctx context.Context, ev Event) error {
	if ev.Type == "" {
		return errors.New("events: record: event has no type")
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = time.Now()
	}
	var scratch [256]byte
	enc, err := appendWire(scratch[:0], ev)
	if err != nil {
		return fmt.Errorf("events: record: %w", err)
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	var g *group
	if n := len(r.queue); n > 0 && r.queue[n-1].n < r.maxBatch {
		g = r.queue[n-1]
	} else if n >= r.maxQueue {
		r.mu.Unlock()
		return ErrBusy
	} else {
		g = &group{payload: append(make([]byte, 0, 4096), wireVersion), created: time.Now(), done: make(chan struct{})}
		r.queue = append(r.queue, g)
	}
	g.payload = append(g.payload, enc...)
	g.n++
	r.added.Add(1)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default: // a writer is already due to look
	}
	done := ctx.Done()
	if done == nil { // a context that cannot end: no select, the common case of the tracking handler
		<-g.done
		return g.err
	}
	select {
	case <-g.done:
		return g.err
	case <-done:
		// The event may still be written; the caller only learns it was not confirmed.
		return fmt.Errorf("events: record: %w", ctx.Err())
	}
}

// Close stops accepting events, writes what is queued, waits for the writers and closes the
// Redis client.
func (r *Recorder) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	close(r.done)
	r.mu.Unlock()
	r.wg.Wait()
	_ = r.rdb.Close()
}

// write takes queued groups one at a time and appends each, until Close; then it writes what is
// left and returns.
func (r *Recorder) write() {
	defer r.wg.Done()
	for {
		select {
		case <-r.wake:
		case <-r.done:
			for r.writeNext() {
			}
			return
		}
		for r.writeNext() {
		}
	}
}

// maxYields bounds letJoin's yields per group.
const maxYields = 8

// letJoin yields the writer's thread to the goroutines ready to run before it takes a group, as
// long as they keep adding events (at most maxYields times). Under load those are requests on
// their way to Record: a few yields let them join the group that is filling instead of starting
// the next one, so the writer makes fewer, larger appends (less work per event for itself,
// Redis and the ingester) without a timer. When nothing else is ready, Gosched returns at once
// and an idle server's event is written without delay.
func (r *Recorder) letJoin() {
	for range maxYields {
		n := r.added.Load()
		runtime.Gosched()
		if r.added.Load() == n {
			return
		}
	}
}

// writeNext appends the oldest queued group, if there is one, and wakes its waiters. A group that
// waited for a writer longer than the write timeout is failed unwritten, so that a hung Redis
// cannot make requests wait for every group queued ahead of theirs.
func (r *Recorder) writeNext() bool {
	r.mu.Lock()
	if len(r.queue) == 1 { // the group still filling; older ones are full and gain nothing
		r.mu.Unlock()
		r.letJoin()
		r.mu.Lock()
	}
	if len(r.queue) == 0 {
		r.mu.Unlock()
		return false
	}
	g := r.queue[0]
	r.queue[0] = nil
	r.queue = r.queue[1:]
	r.mu.Unlock()
	if time.Since(g.created) > r.timeout {
		g.err = errExpired
	} else {
		g.err = r.append(g)
	}
	close(g.done)
	return true
}

// append writes a group as one stream entry. The ingester derives a dedupe key from the entry
// ID, so a redelivered entry is stored once.
func (r *Recorder) append(g *group) error {
	// The context is not a request's: a group is written whole or not at all, whichever
	// request started it.
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	if err := r.rdb.XAdd(ctx, &redis.XAddArgs{Stream: r.stream, Values: []any{"e", g.payload}}).Err(); err != nil {
		r.logger.Error("events: stream append failed", "err", err, "events", g.n)
		return fmt.Errorf("events: record: %w", err)
	}
	return nil
}
