package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/kirje/kirje/internal/pg"
)

// ingestGroup is the consumer group every worker process joins: each stream entry is delivered
// to one of them.
const ingestGroup = "ingest"

// Ingester moves events from the Redis stream into PostgreSQL in batches. An entry is acknowledged
// and deleted from the stream only after its events are committed; entries a crashed process left
// unacknowledged are claimed by another after ClaimIdle. Dedupe keys derived from the entry ID
// make a second delivery of the same entry a no-op, so a crash loses none and duplicates none.
type Ingester struct {
	rdb      redis.UniversalClient
	db       *pgxpool.Pool
	stream   string
	consumer string
	logger   *slog.Logger
	cfg      IngesterConfig
}

// IngesterConfig tunes an Ingester.
type IngesterConfig struct {
	Prefix    string // namespace of the stream key
	Consumer  string // this process's consumer name (default host-pid)
	Logger    *slog.Logger
	Count     int           // entries read per round (default 64; each holds up to a few hundred events)
	Block     time.Duration // how long a read waits for new entries (default 1s)
	ClaimIdle time.Duration // claim other consumers' entries unacknowledged this long (default 30s)
}

// NewIngester returns an Ingester; Run does the work.
func NewIngester(rdb redis.UniversalClient, db *pgxpool.Pool, cfg IngesterConfig) *Ingester {
	if cfg.Consumer == "" {
		host, _ := os.Hostname()
		cfg.Consumer = host + "-" + strconv.Itoa(os.Getpid())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Count <= 0 {
		cfg.Count = 64
	}
	if cfg.Block <= 0 {
		cfg.Block = time.Second
	}
	if cfg.ClaimIdle <= 0 {
		cfg.ClaimIdle = 30 * time.Second
	}
	return &Ingester{rdb: rdb, db: db, stream: StreamKey(cfg.Prefix), consumer: cfg.Consumer, logger: cfg.Logger, cfg: cfg}
}

// Run ingests until ctx is done. Transient errors are logged and retried with a pause.
func (in *Ingester) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if _, err := in.round(ctx, in.cfg.Block); err != nil && ctx.Err() == nil {
			in.logger.Error("events: ingest failed; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// Drain ingests everything available now (including this consumer's and stale unacknowledged
// entries) and returns the number of events written. For shutdown and tests.
func (in *Ingester) Drain(ctx context.Context) (int64, error) {
	var total int64
	for {
		n, err := in.round(ctx, -1)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// round claims stale entries, reads new ones (block < 0: don't wait) and stores them.
func (in *Ingester) round(ctx context.Context, block time.Duration) (int64, error) {
	if err := in.ensureGroup(ctx); err != nil {
		return 0, err
	}
	claimed, _, err := in.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: in.stream, Group: ingestGroup, Consumer: in.consumer,
		MinIdle: in.cfg.ClaimIdle, Start: "0-0", Count: int64(in.cfg.Count),
	}).Result()
	if err != nil {
		return 0, fmt.Errorf("events: ingest: claim: %w", err)
	}
	// "0" re-reads entries delivered to this consumer but not acknowledged (a failed round).
	msgs := claimed
	for _, id := range []string{"0", ">"} {
		args := &redis.XReadGroupArgs{Group: ingestGroup, Consumer: in.consumer, Streams: []string{in.stream, id},
			Count: int64(in.cfg.Count), Block: -1}
		if id == ">" && len(msgs) == 0 && block >= 0 {
			args.Block = block
		}
		res, err := in.rdb.XReadGroup(ctx, args).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return 0, fmt.Errorf("events: ingest: read: %w", err)
		}
		for _, s := range res {
			msgs = append(msgs, s.Messages...)
		}
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	return in.store(ctx, msgs)
}

func (in *Ingester) ensureGroup(ctx context.Context) error {
	err := in.rdb.XGroupCreateMkStream(ctx, in.stream, ingestGroup, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("events: ingest: create group: %w", err)
	}
	return nil
}

// store commits the events of msgs, then acknowledges and deletes the entries.
func (in *Ingester) store(ctx context.Context, msgs []redis.XMessage) (int64, error) {
	seen := make(map[string]bool, len(msgs))
	var evs []Event
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		ids = append(ids, m.ID)
		batch, err := decodeEntry(m)
		if err != nil {
			// Only Kirje writes this stream; an entry that does not decode never will.
			in.logger.Error("events: dropping undecodable stream entry", "entry_id", m.ID, "err", err)
			continue
		}
		evs = append(evs, batch...)
	}
	var written int64
	err := pg.InTx(ctx, in.db, func(tx pgx.Tx) error {
		var err error
		written, err = CopyInsert(ctx, tx, evs)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("events: ingest: %w", err)
	}
	pipe := in.rdb.Pipeline()
	pipe.XAck(ctx, in.stream, ingestGroup, ids...)
	pipe.XDel(ctx, in.stream, ids...)
	if _, err := pipe.Exec(ctx); err != nil {
		// Stored but not acknowledged: the entries come back and are skipped by their keys.
		return written, fmt.Errorf("events: ingest: ack: %w", err)
	}
	return int64(len(evs)), nil
}

func decodeEntry(m redis.XMessage) ([]Event, error) {
	raw, ok := m.Values["e"].(string)
	if !ok {
		return nil, errors.New("no event payload")
	}
	var wire []wireEvent
	if err := json.Unmarshal([]byte(raw), &wire); err != nil {
		return nil, err
	}
	out := make([]Event, len(wire))
	for i, w := range wire {
		out[i] = w.event()
		out[i].DedupeKey = "s:" + m.ID + ":" + strconv.Itoa(i)
	}
	return out, nil
}
