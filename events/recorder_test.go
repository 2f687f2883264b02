package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/proxytest"
	"github.com/kirje/kirje/internal/redistest"
)

// addContacts puts contacts with IDs 1 to n in the register: the ingester stores events of
// contacts that do not exist (erased since) without the contact.
func addContacts(t *testing.T, db *pgtest.DB, n int) {
	t.Helper()
	_, err := db.Pool.Exec(context.Background(), `INSERT INTO contacts (id, email) OVERRIDING SYSTEM VALUE
SELECT i, 'contact' || i || '@example.com' FROM generate_series(1, $1::int) i`, n)
	require.NoError(t, err)
}

func countEvents(t *testing.T, db *pgtest.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&n))
	return n
}

func TestRecordedEventsReachPostgresOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, rd := pgtest.New(t), redistest.New(t)
	rec := NewRecorder(rd.Client.Options(), RecorderConfig{Prefix: rd.Prefix})
	t.Cleanup(rec.Close)

	const n = 2000
	addContacts(t, db, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- rec.Record(ctx, Event{Type: Open, CampaignID: 7, ContactID: int64(i + 1), IP: "192.0.2.9"})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	entries, err := rd.Client.XLen(ctx, StreamKey(rd.Prefix)).Result()
	require.NoError(t, err)
	assert.Less(t, entries, int64(n), "concurrent records must share stream entries (group commit)")

	in := NewIngester(rd.Client, db.Pool, IngesterConfig{Prefix: rd.Prefix, Consumer: "a"})
	got, err := in.Drain(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, n, got)
	assert.Equal(t, n, countEvents(t, db))

	var distinct int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(DISTINCT contact_id) FROM events WHERE type = 'open' AND campaign_id = 7`).Scan(&distinct))
	assert.Equal(t, n, distinct)

	left, err := rd.Client.XLen(ctx, StreamKey(rd.Prefix)).Result()
	require.NoError(t, err)
	assert.Zero(t, left, "ingested entries are deleted from the stream")
}

// A consumer that read entries and died before acknowledging them: another claims them after
// ClaimIdle. If the dead one had committed them already, the redelivery stores nothing twice.
func TestIngesterRecoversEntriesOfACrashedConsumer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, rd := pgtest.New(t), redistest.New(t)
	rec := NewRecorder(rd.Client.Options(), RecorderConfig{Prefix: rd.Prefix, Writers: 1, MaxBatch: 10})
	t.Cleanup(rec.Close)
	for i := range 50 {
		require.NoError(t, rec.Record(ctx, Event{Type: Click, CampaignID: 1, ContactID: int64(i + 1), LinkID: 2}))
	}

	dead := NewIngester(rd.Client, db.Pool, IngesterConfig{Prefix: rd.Prefix, Consumer: "dead"})
	require.NoError(t, dead.ensureGroups(ctx))
	res, err := rd.Client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: ingestGroup, Consumer: "dead",
		Streams: []string{StreamKey(rd.Prefix), ">"}, Count: 2, Block: -1}).Result()
	require.NoError(t, err)
	require.Len(t, res[0].Messages, 2)
	// The dead consumer committed its first entry but crashed before acknowledging anything.
	first, err := dead.decodeEntry(nil, entry{StreamKey(rd.Prefix), res[0].Messages[0]})
	require.NoError(t, err)
	require.NoError(t, pg.InTx(ctx, db.Pool, func(tx pgx.Tx) error {
		_, err := copyEvents(ctx, tx, first)
		return err
	}))

	live := NewIngester(rd.Client, db.Pool, IngesterConfig{Prefix: rd.Prefix, Consumer: "live", ClaimIdle: time.Nanosecond})
	_, err = live.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 50, countEvents(t, db), "every event stored exactly once")

	pendingInfo, err := rd.Client.XPending(ctx, StreamKey(rd.Prefix), ingestGroup).Result()
	require.NoError(t, err)
	assert.Zero(t, pendingInfo.Count)
}

func TestRecordFailsWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	rec := NewRecorder(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond}, RecorderConfig{Prefix: "x:"})
	t.Cleanup(rec.Close)
	err := rec.Record(context.Background(), Event{Type: Open, CampaignID: 1})
	require.Error(t, err, "an event that is not durable must not be acknowledged")
}

func TestRecordAfterCloseIsRefused(t *testing.T) {
	t.Parallel()
	rd := redistest.New(t)
	rec := NewRecorder(rd.Client.Options(), RecorderConfig{Prefix: rd.Prefix})
	rec.Close()
	require.ErrorIs(t, rec.Record(context.Background(), Event{Type: Open}), ErrClosed)
}

func BenchmarkRecord(b *testing.B) {
	rd := redistest.New(b)
	rec := NewRecorder(rd.Client.Options(), RecorderConfig{Prefix: rd.Prefix})
	defer rec.Close()
	ctx := context.Background()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if err := rec.Record(ctx, Event{Type: Open, CampaignID: 1, ContactID: int64(i), UserAgent: fmt.Sprint(i)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A serve process of an earlier version writes JSON entries to the stream of that version while
// upgraded ones write binary entries to theirs: ingesters read both, and entry IDs (unique only
// within a stream) that are the same in both name different entries.
func TestIngesterReadsTheStreamOfEarlierVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, rd := pgtest.New(t), redistest.New(t)
	addContacts(t, db, 5)
	const id = "1764142200000-0"
	legacy := `[{"t":"open","at":1764142200000000,"ca":3,"co":4},{"t":"click","at":1764142201000000,"ca":3,"co":4,"l":2}]`
	require.NoError(t, rd.Client.XAdd(ctx, &redis.XAddArgs{Stream: legacyStreamKey(rd.Prefix), ID: id, Values: []any{"e", legacy}}).Err())
	current, err := appendWire([]byte{wireVersion}, Event{Type: Open, OccurredAt: time.Now(), CampaignID: 3, ContactID: 5})
	require.NoError(t, err)
	require.NoError(t, rd.Client.XAdd(ctx, &redis.XAddArgs{Stream: StreamKey(rd.Prefix), ID: id, Values: []any{"e", current}}).Err())

	in := NewIngester(rd.Client, db.Pool, IngesterConfig{Prefix: rd.Prefix, Consumer: "a"})
	got, err := in.Drain(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 3, got)
	var clicks int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'click' AND link_id = 2 AND contact_id = 4`).Scan(&clicks))
	assert.Equal(t, 1, clicks)
	for _, stream := range []string{StreamKey(rd.Prefix), legacyStreamKey(rd.Prefix)} {
		n, err := rd.Client.XLen(ctx, stream).Result()
		require.NoError(t, err)
		assert.Zero(t, n, stream)
	}
	again, err := in.Drain(ctx)
	require.NoError(t, err)
	assert.Zero(t, again)
	assert.Equal(t, 3, countEvents(t, db))
}

// A consumer may hold more unacknowledged entries than one read returns: after an outage, or as
// a restarted process under the same consumer name (a container's fixed host name and PID). It
// works through all of them first, instead of leaving the rest for the idle claim, and while
// PostgreSQL refuses writes it does not take more.
func TestIngesterWorksOffAllItsPendingEntries(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, rd := pgtest.New(t), redistest.New(t)
	rec := NewRecorder(rd.Client.Options(), RecorderConfig{Prefix: rd.Prefix, MaxBatch: 1})
	t.Cleanup(rec.Close)
	const n, count = 30, 4
	for i := range n {
		require.NoError(t, rec.Record(ctx, Event{Type: Open, CampaignID: 9, ContactID: int64(i + 1)}))
	}
	stream := StreamKey(rd.Prefix)
	pending := func() int64 {
		p, err := rd.Client.XPending(context.Background(), stream, ingestGroup).Result()
		require.NoError(t, err)
		return p.Count
	}
	// An earlier process named "a" read 20 entries and died.
	in := NewIngester(rd.Client, db.Pool, IngesterConfig{Prefix: rd.Prefix, Consumer: "a", Count: count,
		Block: 50 * time.Millisecond, Gather: time.Millisecond})
	require.NoError(t, in.ensureGroups(ctx))
	_, err := rd.Client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: ingestGroup, Consumer: "a",
		Streams: []string{stream, ">"}, Count: 20, Block: -1}).Result()
	require.NoError(t, err)
	require.EqualValues(t, 20, pending())

	_, err = db.Pool.Exec(ctx, `ALTER TABLE events RENAME TO events_away`)
	require.NoError(t, err)
	for range 5 {
		_, _, err := in.round(ctx, 0)
		require.Error(t, err)
	}
	assert.EqualValues(t, 20, pending(), "failing rounds take no new entries")
	_, err = db.Pool.Exec(ctx, `ALTER TABLE events_away RENAME TO events`)
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	require.Eventually(t, func() bool { return countEvents(t, db) == n }, 10*time.Second, 20*time.Millisecond,
		"every entry is stored well before ClaimIdle (30s) would hand it to anyone")
	cancel()
	require.NoError(t, <-done)
	assert.Zero(t, pending())
}

// A round whose commit fails leaves its entries pending for this consumer; Run reads them again
// once PostgreSQL takes writes, and stores each event once.
func TestIngesterRetriesAFailedRound(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, rd := pgtest.New(t), redistest.New(t)
	rec := NewRecorder(rd.Client.Options(), RecorderConfig{Prefix: rd.Prefix})
	t.Cleanup(rec.Close)
	const n = 30
	for i := range n {
		require.NoError(t, rec.Record(ctx, Event{Type: Open, CampaignID: 9, ContactID: int64(i + 1)}))
	}
	// Writes to events fail until the table is back.
	_, err := db.Pool.Exec(ctx, `ALTER TABLE events RENAME TO events_away`)
	require.NoError(t, err)

	in := NewIngester(rd.Client, db.Pool, IngesterConfig{Prefix: rd.Prefix, Consumer: "a", Block: 50 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	stream := StreamKey(rd.Prefix)
	require.Eventually(t, func() bool {
		p, err := rd.Client.XPending(ctx, stream, ingestGroup).Result()
		return err == nil && p.Count > 0
	}, 10*time.Second, 10*time.Millisecond, "the failed round's entries are delivered and unacknowledged")

	_, err = db.Pool.Exec(ctx, `ALTER TABLE events_away RENAME TO events`)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		left, err := rd.Client.XLen(ctx, stream).Result()
		return err == nil && left == 0
	}, 10*time.Second, 20*time.Millisecond, "stored entries are acknowledged and deleted from the stream")
	assert.Equal(t, n, countEvents(t, db), "every event stored, none twice")
	cancel()
	require.NoError(t, <-done)
}

// blackhole accepts connections and never answers: a Redis that hangs.
func blackhole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// When Redis hangs, no Record waits for every group queued ahead of its own: each returns an
// error within about twice the write timeout, and past MaxQueued groups at once.
func TestRecordIsBoundedWhenRedisHangs(t *testing.T) {
	t.Parallel()
	const timeout = 150 * time.Millisecond
	rec := NewRecorder(&redis.Options{Addr: blackhole(t), ReadTimeout: timeout, WriteTimeout: timeout}, RecorderConfig{Prefix: "x:", MaxBatch: 1, MaxQueued: 8, WriteTimeout: timeout})
	t.Cleanup(rec.Close)

	const n = 40 // one group each: five times what may queue
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	var busy int
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			err := rec.Record(context.Background(), Event{Type: Open, CampaignID: 1, ContactID: int64(i + 1)})
			took := time.Since(start)
			assert.Error(t, err, "nothing is acknowledged that is not in the stream")
			mu.Lock()
			defer mu.Unlock()
			slowest = max(slowest, took)
			if errors.Is(err, ErrBusy) {
				busy++
			}
		}()
	}
	wg.Wait()
	assert.Less(t, slowest, 2*timeout+500*time.Millisecond, "each wait is bounded by the write timeout, not by the queue")
	assert.Positive(t, busy, "beyond MaxQueued, Record refuses at once")
}

// An entry that does not decode is dropped whole, even when its first events decode, and the
// entries around it are stored.
func TestIngesterDropsUndecodableEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, rd := pgtest.New(t), redistest.New(t)
	addContacts(t, db, 11)
	payload := func(contacts ...int64) []byte {
		b := []byte{wireVersion}
		for _, c := range contacts {
			var err error
			b, err = appendWire(b, Event{Type: Click, OccurredAt: time.Now(), CampaignID: 1, ContactID: c, LinkID: 2})
			require.NoError(t, err)
		}
		return b
	}
	broken := payload(10, 11)
	for _, p := range [][]byte{payload(1, 2), broken[:len(broken)-3], payload(3)} {
		require.NoError(t, rd.Client.XAdd(ctx, &redis.XAddArgs{Stream: StreamKey(rd.Prefix), Values: []any{"e", p}}).Err())
	}

	in := NewIngester(rd.Client, db.Pool, IngesterConfig{Prefix: rd.Prefix, Consumer: "a"})
	got, err := in.Drain(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 3, got)
	rows, err := db.Pool.Query(ctx, `SELECT contact_id FROM events ORDER BY contact_id`)
	require.NoError(t, err)
	contacts, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	assert.Equal(t, []int64{1, 2, 3}, contacts)
	left, err := rd.Client.XLen(ctx, StreamKey(rd.Prefix)).Result()
	require.NoError(t, err)
	assert.Zero(t, left, "the undecodable entry is acknowledged and deleted too")
}

// A caller's context that ends stops its wait (the event may still be written), well before the
// write timeout would.
func TestRecordReturnsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	const hang = 2 * time.Second // how long the append hangs before the client gives up
	rec := NewRecorder(&redis.Options{Addr: blackhole(t), ReadTimeout: hang, WriteTimeout: hang}, RecorderConfig{Prefix: "x:", WriteTimeout: time.Minute})
	t.Cleanup(rec.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := rec.Record(ctx, Event{Type: Open, CampaignID: 1, ContactID: 1})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), hang)
}

// loseFirstXAddReply is a proxy to the Redis at addr that passes everything through except the
// reply to the first XADD: it cuts that connection instead, after Redis has applied the command.
// That is a connection lost at the worst moment, when the client cannot know whether its command
// took effect.
func loseFirstXAddReply(t *testing.T, addr string) string {
	t.Helper()
	var lost atomic.Bool // the first XADD's reply has been dropped
	return proxytest.Start(t, addr, func() proxytest.Filter {
		var sentXAdd atomic.Bool // this connection has passed an XADD on to Redis
		return func(fromClient bool, chunk []byte) bool {
			if fromClient {
				// Set before the command is passed on, so before any reply to it can come back.
				if bytes.Contains(bytes.ToLower(chunk), []byte("xadd")) {
					sentXAdd.Store(true)
				}
				return true
			}
			return !(sentXAdd.Load() && lost.CompareAndSwap(false, true))
		}
	})
}

// An append whose reply is lost fails its group, and is not tried again: the entry Redis did
// apply is the only one, so the ingester stores those events once. (A client that retried would
// add the group again under a new entry ID, and the events would be stored twice.)
func TestRecordDoesNotRetryAnAppendWhoseReplyWasLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rd := redistest.New(t)
	opts := *rd.Client.Options()
	opts.Addr = loseFirstXAddReply(t, opts.Addr)
	opts.MaxRetries = 3 // what the Recorder is given does not matter: it never retries
	rec := NewRecorder(&opts, RecorderConfig{Prefix: rd.Prefix})
	t.Cleanup(rec.Close)

	err := rec.Record(ctx, Event{Type: Open, CampaignID: 1, ContactID: 1})
	require.Error(t, err, "an append with no reply is not acknowledged")
	n, err := rd.Client.XLen(ctx, StreamKey(rd.Prefix)).Result()
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "Redis applied the append once, and it was not repeated")

	require.NoError(t, rec.Record(ctx, Event{Type: Open, CampaignID: 1, ContactID: 2}), "the next group goes through")
}
