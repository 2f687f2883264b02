package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/proxytest"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/token"
)

// A crash of either process loses no acknowledged open and stores none twice. Opens pour into
// a real `kirje serve` while a real `kirje worker` ingests them. Serve is SIGKILLed and restarted
// under load. Then a worker is SIGKILLed in the middle of storing a round, its COPY held up by a
// lock the test takes (entries read, not stored), and the next worker is SIGKILLed after its
// round commits but before it acknowledges the entries (its Redis connections cut at a proxy),
// so the one after it is delivered stored entries again. Every open is for a recipient of its
// own: afterwards each one answered 200 is in PostgreSQL exactly once, and no recipient has two.
func TestKilledProcessesNeitherLoseNorDuplicateEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real serve and worker processes")
	}
	t.Parallel()
	ctx := context.Background()
	addr := freeAddr(t)
	s := newStack(t, smtptest.Options{Discard: true},
		"KIRJE_HTTP_ADDR="+addr, "KIRJE_PUBLIC_URL=http://"+addr, "KIRJE_TRACKING_RATE=0",
		"KIRJE_INGEST_CLAIM_IDLE=1s")
	c := fixture.Campaign(t, s.db.Pool, fixture.Brand(t, s.db.Pool, "acme"), "")
	pending := func() int64 {
		t.Helper()
		p, err := s.rd.Client.XPending(ctx, events.StreamKey(s.rd.Prefix), "ingest").Result()
		require.NoError(t, err)
		return p.Count
	}

	worker := s.startProcess(t, "worker")
	serve := s.startProcess(t, "serve")
	waitHealthy(t, addr)
	load := startOpens(t, s, addr, c.ID)
	load.waitAcked(t, 3000, "before serve is killed")

	require.NoError(t, serve.Process.Signal(syscall.SIGKILL))
	_ = serve.Wait()
	s.startProcess(t, "serve")
	waitHealthy(t, addr)
	load.waitAcked(t, 3000, "by the second serve")

	// The first worker dies before its round commits: the round's entries are read and
	// unacknowledged, and the next worker stores them.
	lock := holdEventWrites(t, s)
	require.Positive(t, pending(), "the round being stored holds delivered, unacknowledged entries")
	require.NoError(t, worker.Process.Signal(syscall.SIGKILL))
	_ = worker.Wait()
	lock.release()

	// The second worker dies after its round commits, before it acknowledges the entries (its
	// Redis connections are cut at a proxy): the next worker is delivered entries whose events
	// are stored already, and must not store them twice.
	proxy := newStallingProxy(t, s.rd.Client.Options().Addr)
	viaProxy := *s
	viaProxy.env = append(slices.Clone(s.env), "KIRJE_REDIS_URL=redis://"+proxy.addr)
	worker = viaProxy.startProcess(t, "worker")
	load.waitAcked(t, 3000, "after the first worker's kill")
	lock = holdEventWrites(t, s)
	before := eventCount(ctx, s)
	proxy.stall()
	lock.release()
	require.Eventually(t, func() bool { return eventCount(ctx, s) > before },
		30*time.Second, 10*time.Millisecond, "the second worker's round commits")
	require.NoError(t, worker.Process.Signal(syscall.SIGKILL))
	_ = worker.Wait()
	require.Positive(t, pending(), "the committed round's entries are unacknowledged")

	s.startProcess(t, "worker")
	load.waitAcked(t, 3000, "after the second worker's kill")
	acked, requested := load.stop()
	require.Eventually(t, func() bool {
		n, err := s.rd.Client.XLen(ctx, events.StreamKey(s.rd.Prefix)).Result()
		return err == nil && n == 0
	}, 60*time.Second, 50*time.Millisecond, "the last worker drains the stream into PostgreSQL")

	stored := map[int64]int{}
	rows, err := s.db.Pool.Query(ctx, `SELECT contact_id, count(*) FROM events
		WHERE campaign_id = $1 AND type = 'open' GROUP BY contact_id`, c.ID)
	require.NoError(t, err)
	for rows.Next() {
		var contact int64
		var n int
		require.NoError(t, rows.Scan(&contact, &n))
		stored[contact] = n
	}
	require.NoError(t, rows.Err())
	lost, twice := 0, 0
	for contact := range acked {
		if stored[contact] == 0 {
			lost++
		}
	}
	for _, n := range stored {
		if n > 1 {
			twice++
		}
	}
	t.Logf("%d opens requested, %d acknowledged, %d stored", requested, len(acked), len(stored))
	assert.Zero(t, lost, "acknowledged opens missing from PostgreSQL")
	assert.Zero(t, twice, "opens stored twice")
	assert.LessOrEqual(t, len(stored), int(requested), "nothing stored that was never requested")
}

// eventCount counts the stored events, -1 on an error (for a condition polled by Eventually).
func eventCount(ctx context.Context, s *stack) int64 {
	var n int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return -1
	}
	return n
}

// openLoad requests opens from a few keep-alive clients until stopped, each open for a contact no
// other names, and keeps the contacts whose open was acknowledged. The contacts exist (the
// ingester stores an event of a contact that does not, an erased one, without the contact);
// the load stops at the last of them, far more than a run requests (about 13,000 here).
type openLoad struct {
	next        atomic.Int64 // the last contact handed out
	first, last int64
	mu          sync.Mutex
	acked       map[int64]bool
	done        chan struct{}
	wg          sync.WaitGroup
}

func startOpens(t *testing.T, s *stack, addr string, campaignID int64) *openLoad {
	t.Helper()
	const first, last = 1_000_001, 1_100_000
	_, err := s.db.Pool.Exec(context.Background(), `INSERT INTO contacts (id, email) OVERRIDING SYSTEM VALUE
SELECT i, 'reader' || i || '@example.com' FROM generate_series($1::bigint, $2::bigint) i`, first, last)
	require.NoError(t, err)
	keys, err := token.ParseKeyring("1", testSecret, "")
	require.NoError(t, err)
	base, err := url.Parse("http://" + addr)
	require.NoError(t, err)
	links := token.Links{Base: base, Keys: keys}
	sentAt := time.Now().Add(-time.Hour) // long enough ago that nothing looks like a scanner
	l := &openLoad{first: first, last: last, acked: map[int64]bool{}, done: make(chan struct{})}
	l.next.Store(first - 1)
	for range 6 {
		l.wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-l.done:
					return
				default:
				}
				contact := l.next.Add(1)
				if contact > l.last {
					return
				}
				resp, err := client.Get(links.ForRecipient(campaignID, contact, sentAt, register.TrackingIndividual).Open())
				if err != nil { // serve is down, or was killed mid-answer: not acknowledged
					time.Sleep(2 * time.Millisecond) // while it restarts, without spinning
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					l.mu.Lock()
					l.acked[contact] = true
					l.mu.Unlock()
				}
			}
		})
	}
	t.Cleanup(func() { l.stop() }) // also when a require fails midway
	return l
}

func (l *openLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitAcked waits until more opens than now are acknowledged.
func (l *openLoad) waitAcked(t *testing.T, more int, when string) {
	t.Helper()
	want := l.ackedCount() + more
	require.Eventually(t, func() bool { return l.ackedCount() >= want }, 60*time.Second, 10*time.Millisecond,
		"%d more opens acknowledged %s (the load stops at contact %d)", more, when, l.last)
}

// stop ends the load and returns the acknowledged contacts and how many opens were requested.
func (l *openLoad) stop() (map[int64]bool, int64) {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked, min(l.next.Load(), l.last) - l.first + 1
}

// eventLock holds a lock on the events table that lets the ingester read entries but not store
// them.
type eventLock struct {
	t  *testing.T
	tx pgx.Tx
}

// holdEventWrites takes the lock and waits until a worker's COPY waits for it: that worker has
// read a round of entries and not stored them.
func holdEventWrites(t *testing.T, s *stack) *eventLock {
	t.Helper()
	ctx := context.Background()
	tx, err := s.db.Pool.Begin(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback(ctx) })
	_, err = tx.Exec(ctx, `LOCK TABLE events IN SHARE MODE`)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		var waiting bool
		err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE relation = 'events'::regclass AND mode = 'RowExclusiveLock' AND NOT granted)`).Scan(&waiting)
		return err == nil && waiting
	}, 30*time.Second, 10*time.Millisecond, "a worker's COPY waits for the lock")
	return &eventLock{t: t, tx: tx}
}

func (l *eventLock) release() {
	l.t.Helper()
	require.NoError(l.t, l.tx.Rollback(context.Background()))
}

// stallingProxy relays connections to a server until stall is called; from then on it cuts
// every connection at the next thing a client sends, so nothing more reaches the server.
type stallingProxy struct {
	addr    string
	stalled atomic.Bool
}

func newStallingProxy(t *testing.T, target string) *stallingProxy {
	t.Helper()
	p := &stallingProxy{}
	p.addr = proxytest.Start(t, target, func() proxytest.Filter {
		return func(fromClient bool, _ []byte) bool { return !(fromClient && p.stalled.Load()) }
	})
	return p
}

func (p *stallingProxy) stall() { p.stalled.Store(true) }

// waitHealthy waits until a serve process answers /healthz at addr.
func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := http.Get(fmt.Sprintf("http://%s/healthz", addr))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond, "serve answers /healthz")
}
