package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrClosed is returned by Record after the Recorder stopped.
var ErrClosed = errors.New("events: recorder closed")

// StreamKey is the Redis stream, under a namespace prefix, that carries recorded events to the
// Ingester.
func StreamKey(prefix string) string { return prefix + "events" }

// Recorder acknowledges opens and clicks once they are durable in a Redis stream, without one
// round trip per event: Record queues the event and waits; a writer appends whatever is queued
// as one stream entry the moment it is free (group commit), then wakes every waiter. Under load
// many requests share one XADD; when idle an event is written at once, with no timer to wait for.
type Recorder struct {
	rdb     redis.UniversalClient
	stream  string
	logger  *slog.Logger
	maxLen  int
	queue   chan pending
	done    chan struct{}
	wg      sync.WaitGroup
	closeMu sync.RWMutex
	closed  bool
}

type pending struct {
	ev     Event
	result chan error
}

// RecorderConfig tunes a Recorder.
type RecorderConfig struct {
	Prefix string // namespace of the stream key
	Logger *slog.Logger
	// Writers is the number of concurrent appenders (default 2): one can write while the next
	// group gathers.
	Writers int
	// MaxBatch caps the events per stream entry (default 512).
	MaxBatch int
}

// NewRecorder starts a Recorder's writers; Close stops them.
func NewRecorder(rdb redis.UniversalClient, cfg RecorderConfig) *Recorder {
	if cfg.Writers <= 0 {
		cfg.Writers = 2
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 512
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{
		rdb:    rdb,
		stream: StreamKey(cfg.Prefix),
		logger: cfg.Logger,
		maxLen: cfg.MaxBatch,
		queue:  make(chan pending, 4*cfg.MaxBatch),
		done:   make(chan struct{}),
	}
	for range cfg.Writers {
		r.wg.Add(1)
		go r.write()
	}
	return r
}

// Record returns nil once ev is durable in the stream (and will reach PostgreSQL through the
// Ingester), or an error if it is not: the caller must then not claim it was recorded.
func (r *Recorder) Record(ctx context.Context, ev Event) error {
	if ev.Type == "" {
		return errors.New("events: record: event has no type")
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = time.Now()
	}
	p := pending{ev: ev, result: make(chan error, 1)}
	r.closeMu.RLock()
	if r.closed {
		r.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case r.queue <- p:
		r.closeMu.RUnlock()
	case <-ctx.Done():
		r.closeMu.RUnlock()
		return fmt.Errorf("events: record: %w", ctx.Err())
	}
	select {
	case err := <-p.result:
		return err
	case <-ctx.Done():
		// The event may still be written; the caller only learns it was not confirmed.
		return fmt.Errorf("events: record: %w", ctx.Err())
	}
}

// Close stops accepting events, writes what is queued and waits for the writers.
func (r *Recorder) Close() {
	r.closeMu.Lock()
	if r.closed {
		r.closeMu.Unlock()
		return
	}
	r.closed = true
	close(r.queue)
	r.closeMu.Unlock()
	r.wg.Wait()
}

func (r *Recorder) write() {
	defer r.wg.Done()
	batch := make([]pending, 0, r.maxLen)
	for p := range r.queue {
		batch = append(batch[:0], p)
	gather:
		for len(batch) < r.maxLen {
			select {
			case q, ok := <-r.queue:
				if !ok {
					break gather
				}
				batch = append(batch, q)
			default:
				break gather
			}
		}
		err := r.append(batch)
		for _, q := range batch {
			q.result <- err
		}
	}
}

// append writes a group of events as one stream entry. The ingester derives each event's dedupe
// key from the entry ID and the event's index, so a redelivered entry is stored once.
func (r *Recorder) append(batch []pending) error {
	wire := make([]wireEvent, len(batch))
	for i, p := range batch {
		wire[i] = toWire(p.ev)
	}
	payload, err := json.Marshal(wire)
	if err != nil {
		return fmt.Errorf("events: record: encode: %w", err)
	}
	// The context is not the request's: a group is written whole or not at all, whichever
	// request started it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.rdb.XAdd(ctx, &redis.XAddArgs{Stream: r.stream, Values: []any{"e", payload}}).Err(); err != nil {
		r.logger.Error("events: stream append failed", "err", err, "events", len(batch))
		return fmt.Errorf("events: record: %w", err)
	}
	return nil
}

// wireEvent is an Event as carried in the stream: short keys, zero values omitted.
type wireEvent struct {
	Type       Type           `json:"t"`
	OccurredAt int64          `json:"at"` // unix microseconds
	CampaignID int64          `json:"ca,omitempty"`
	ContactID  int64          `json:"co,omitempty"`
	BrandID    int64          `json:"b,omitempty"`
	LinkID     int            `json:"l,omitempty"`
	IP         string         `json:"ip,omitempty"`
	UserAgent  string         `json:"ua,omitempty"`
	Machine    bool           `json:"m,omitempty"`
	Signals    []string       `json:"s,omitempty"`
	Reason     string         `json:"r,omitempty"`
	Data       map[string]any `json:"d,omitempty"`
}

func toWire(e Event) wireEvent {
	return wireEvent{
		Type: e.Type, OccurredAt: e.OccurredAt.UnixMicro(), CampaignID: e.CampaignID, ContactID: e.ContactID,
		BrandID: e.BrandID, LinkID: e.LinkID, IP: e.IP, UserAgent: e.UserAgent, Machine: e.Machine,
		Signals: e.Signals, Reason: e.Reason, Data: e.Data,
	}
}

func (w wireEvent) event() Event {
	return Event{
		Type: w.Type, OccurredAt: time.UnixMicro(w.OccurredAt).UTC(), CampaignID: w.CampaignID,
		ContactID: w.ContactID, BrandID: w.BrandID, LinkID: w.LinkID, IP: w.IP, UserAgent: w.UserAgent,
		Machine: w.Machine, Signals: w.Signals, Reason: w.Reason, Data: w.Data,
	}
}
