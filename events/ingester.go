package events

import (
	"context"
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
// An Ingester keeps state between rounds: use it from one goroutine (Run or Drain) at a time.
type Ingester struct {
	rdb      redis.UniversalClient
	db       *pgxpool.Pool
	streams  []string // the current stream first, then the one earlier versions wrote
	consumer string
	logger   *slog.Logger
	cfg      IngesterConfig

	// Run's state between rounds.
	grouped   bool      // the consumer groups are known to exist
	lastClaim time.Time // when stale entries of other consumers were last claimed
	unacked   bool      // this consumer may hold delivered, unacknowledged entries to read again
	events    []Event   // store's buffer of decoded events, kept for the next round
}

// IngesterConfig tunes an Ingester.
type IngesterConfig struct {
	Prefix   string // namespace of the stream key
	Consumer string // this process's consumer name (default host-pid)
	Logger   *slog.Logger
	Count    int           // entries read per round (default 256; each holds up to a few hundred events)
	Block    time.Duration // how long a read waits for new entries (default 1s)
	// Gather is the least time between the starts of two rounds unless the last one read a full
	// Count (default 100ms): under a steady trickle of events, rounds wait to store many at once
	// (each round costs a transaction, a commit and a handful of Redis commands whatever its
	// size) instead of one small round per entry. It delays ingestion, never acknowledgement.
	Gather    time.Duration
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
		cfg.Count = 256
	}
	if cfg.Gather <= 0 {
		cfg.Gather = 100 * time.Millisecond
	}
	if cfg.Block <= 0 {
		cfg.Block = time.Second
	}
	if cfg.ClaimIdle <= 0 {
		cfg.ClaimIdle = 30 * time.Second
	}
	return &Ingester{
		rdb: rdb, db: db, streams: []string{StreamKey(cfg.Prefix), legacyStreamKey(cfg.Prefix)},
		consumer: cfg.Consumer, logger: cfg.Logger, cfg: cfg,
		unacked: true, // a process that ran before under this consumer name may have left entries
	}
}

// Run ingests until ctx is done. Transient errors are logged and retried with a pause.
func (in *Ingester) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		start := time.Now()
		read, _, err := in.round(ctx, in.cfg.Block)
		if err != nil && ctx.Err() == nil {
			in.logger.Error("events: ingest failed; retrying", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		if read > 0 && read < in.cfg.Count {
			sleep(ctx, in.cfg.Gather-time.Since(start))
		}
	}
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Drain ingests everything available now (including this consumer's and stale unacknowledged
// entries) and returns the number of events written. For shutdown and tests; not concurrently
// with Run.
func (in *Ingester) Drain(ctx context.Context) (int64, error) {
	var total int64
	for {
		read, n, err := in.round(ctx, -1)
		total += n
		if err != nil || read == 0 {
			return total, err
		}
	}
}

// entry is a stream entry and the stream it came from.
type entry struct {
	stream string
	msg    redis.XMessage
}

// round claims stale entries when due, reads new ones (block < 0: don't wait, and claim and
// re-read everything) and stores them. It returns the entries read and the events written.
// After any failure it re-reads this consumer's unacknowledged entries first, Count at a time,
// before taking new ones.
func (in *Ingester) round(ctx context.Context, block time.Duration) (read int, written int64, err error) {
	defer func() {
		if err != nil {
			in.unacked = true // whatever was delivered or claimed before the failure is ours
		}
	}()
	if !in.grouped {
		if err := in.ensureGroups(ctx); err != nil {
			return 0, 0, err
		}
		in.grouped = true
	}
	var entries []entry
	if block < 0 || time.Since(in.lastClaim) >= in.cfg.ClaimIdle/2 {
		for _, stream := range in.streams {
			claimed, _, err := in.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: stream, Group: ingestGroup, Consumer: in.consumer,
				MinIdle: in.cfg.ClaimIdle, Start: "0-0", Count: int64(in.cfg.Count),
			}).Result()
			if err != nil {
				in.grouped = false // the stream or group may have been deleted
				return 0, 0, fmt.Errorf("events: ingest: claim: %w", err)
			}
			for _, m := range claimed {
				entries = append(entries, entry{stream, m})
			}
		}
		in.lastClaim = time.Now()
	}
	// "0" re-reads entries delivered to this consumer but not acknowledged. While that fills a
	// whole Count, there may be more: new entries wait for a later round.
	pendingLeft := false
	if block < 0 || in.unacked {
		got, err := in.read(ctx, "0", -1)
		if err != nil {
			return 0, 0, err
		}
		pendingLeft = len(got) >= in.cfg.Count
		entries = append(entries, got...)
	}
	if !pendingLeft {
		wait := time.Duration(-1)
		if len(entries) == 0 && block >= 0 {
			wait = block
		}
		got, err := in.read(ctx, ">", wait)
		if err != nil {
			return 0, 0, err
		}
		entries = append(entries, got...)
	}
	if len(entries) > 0 {
		if written, err = in.store(ctx, entries); err != nil {
			return 0, 0, err
		}
	}
	in.unacked = pendingLeft
	return len(entries), written, nil
}

// read reads up to Count entries of every stream from id ("0": this consumer's pending ones;
// ">": new ones), waiting up to block for new ones (block < 0: not at all).
func (in *Ingester) read(ctx context.Context, id string, block time.Duration) ([]entry, error) {
	args := &redis.XReadGroupArgs{Group: ingestGroup, Consumer: in.consumer, Count: int64(in.cfg.Count), Block: block}
	args.Streams = append(args.Streams, in.streams...)
	for range in.streams {
		args.Streams = append(args.Streams, id)
	}
	res, err := in.rdb.XReadGroup(ctx, args).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		in.grouped = false
		return nil, fmt.Errorf("events: ingest: read: %w", err)
	}
	var out []entry
	for _, s := range res {
		for _, m := range s.Messages {
			out = append(out, entry{s.Stream, m})
		}
	}
	return out, nil
}

func (in *Ingester) ensureGroups(ctx context.Context) error {
	for _, stream := range in.streams {
		err := in.rdb.XGroupCreateMkStream(ctx, stream, ingestGroup, "0").Err()
		if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
			return fmt.Errorf("events: ingest: create group: %w", err)
		}
	}
	return nil
}

// store commits the events of msgs, then acknowledges and deletes the entries. An entry is
// stored whole in one transaction, so one dedupe key per entry (on its first event) is enough to
// recognise a redelivery, and events go straight into the table with COPY, with no per-event
// conflict check. Events of contacts erased since are stored without the contact (forgetGone).
func (in *Ingester) store(ctx context.Context, got []entry) (int64, error) {
	seen := make(map[[2]string]bool, len(got))
	ids := make(map[string][]string, len(in.streams))
	// The events of all entries, decoded into one slice (the last round's, so that a steady
	// stream does not grow a new one every round); entries[i] is where entry i's are.
	all := in.events[:0]
	defer func() {
		if cap(all) > maxKeptEvents { // after a backlog: do not hold its memory for good
			in.events = nil
			return
		}
		clear(all[:cap(all)]) // their strings point into this round's payloads
		in.events = all[:0]
	}()
	type span struct{ start, end int }
	entries := make([]span, 0, len(got))
	for _, e := range got {
		k := [2]string{e.stream, e.msg.ID}
		if seen[k] {
			continue
		}
		seen[k] = true
		ids[e.stream] = append(ids[e.stream], e.msg.ID)
		start := len(all)
		var err error
		if all, err = in.decodeEntry(all, e); err != nil {
			// Only Kirje writes these streams, each in one format; an entry that does not decode
			// never will.
			in.logger.Error("events: dropping undecodable stream entry", "stream", e.stream, "entry_id", e.msg.ID, "err", err)
			all = all[:start]
			continue
		}
		if len(all) > start {
			entries = append(entries, span{start, len(all)})
		}
	}
	// A redelivered entry is rare (a consumer died between commit and acknowledgement): COPY
	// everything, and only if an entry's key is stored already, find which and store the rest.
	var written int64
	err := pg.InTx(ctx, in.db, func(tx pgx.Tx) error {
		if err := forgetGone(ctx, tx, all); err != nil {
			return err
		}
		var err error
		written, err = copyEvents(ctx, tx, all)
		return err
	})
	if isDedupeViolation(err) {
		keys := make([]string, len(entries))
		for i, sp := range entries {
			keys[i] = all[sp.start].DedupeKey
		}
		err = pg.InTx(ctx, in.db, func(tx pgx.Tx) error {
			if err := forgetGone(ctx, tx, all); err != nil {
				return err
			}
			stored, err := storedKeys(ctx, tx, keys)
			if err != nil {
				return err
			}
			var evs []Event
			for _, sp := range entries {
				if !stored[all[sp.start].DedupeKey] {
					evs = append(evs, all[sp.start:sp.end]...)
				}
			}
			written, err = copyEvents(ctx, tx, evs)
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("events: ingest: %w", err)
	}
	pipe := in.rdb.Pipeline()
	for stream, ids := range ids {
		pipe.XAck(ctx, stream, ingestGroup, ids...)
		pipe.XDel(ctx, stream, ids...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		// Stored but not acknowledged: the entries come back and are skipped by their keys.
		return written, fmt.Errorf("events: ingest: ack: %w", err)
	}
	return written, nil
}

// maxKeptEvents bounds the capacity of the events buffer an Ingester keeps between rounds.
const maxKeptEvents = 1 << 16

// isDedupeViolation reports whether err is a dedupe key stored already: the partial unique index
// of migration 00010, or the constraint it replaced (a schema migrated back down).
func isDedupeViolation(err error) bool {
	return pg.IsUniqueViolation(err, "events_dedupe_key_idx") || pg.IsUniqueViolation(err, "events_dedupe_key_key")
}

// decodeEntry appends an entry's events to dst; the first carries the entry's dedupe key.
func (in *Ingester) decodeEntry(dst []Event, e entry) ([]Event, error) {
	raw, ok := e.msg.Values["e"].(string)
	if !ok {
		return dst, errors.New("no event payload")
	}
	start := len(dst)
	dst, err := decodeWire(dst, raw)
	if err != nil {
		return dst, err
	}
	if len(dst) > start {
		dst[start].DedupeKey = entryKey(e.stream == in.streams[0], e.msg.ID)
	}
	return dst, nil
}

// entryKey is the dedupe key of a stream entry's first event. Entry IDs are unique within a
// stream only, so the two streams' keys differ: "b:<entry>" for the current stream, and for the
// stream of earlier versions "s:<entry>:0", which those versions gave the entry's first event.
func entryKey(current bool, id string) string {
	if current {
		return "b:" + id
	}
	return "s:" + id + ":0"
}
