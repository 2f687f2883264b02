package suppression_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/suppression"
)

// setKey is the mirror set's key, as the package names it under a prefix.
func setKey(prefix string) string { return prefix + "{suppression}:set" }

// serverRunID is the run_id of the Redis server c talks to.
func serverRunID(t testing.TB, c *redis.Client) string {
	t.Helper()
	info, err := c.Info(context.Background(), "server").Result()
	require.NoError(t, err)
	_, rest, ok := strings.Cut(info, "run_id:")
	require.True(t, ok)
	id, _, _ := strings.Cut(rest, "\r\n")
	return id
}

// replaceMarker takes the mirror's ready marker away and, unless runID is "", puts one for runID.
func replaceMarker(t testing.TB, b bundle, runID string) {
	t.Helper()
	key := setKey(b.redis.Prefix)
	require.NoError(t, b.redis.Client.SRem(b.ctx, key, "r:"+serverRunID(t, b.redis.Client)).Err())
	if runID != "" {
		require.NoError(t, b.redis.Client.SAdd(b.ctx, key, "r:"+runID).Err())
	}
}

func requireUnavailable(t *testing.T, l *suppression.List, addr string) {
	t.Helper()
	v, err := l.Check(context.Background(), 0, addr)
	require.ErrorIs(t, err, suppression.ErrUnavailable)
	assert.False(t, v.Suppressed, "a failed check returns no verdict")
	_, err = l.CheckMany(context.Background(), 0, []string{addr})
	require.ErrorIs(t, err, suppression.ErrUnavailable)
}

func TestCheckFailsClosed(t *testing.T) {
	t.Parallel()
	tests := map[string]func(t *testing.T, b bundle){
		// Never built, flushed or evicted: the marker goes with the set.
		"set lost": func(t *testing.T, b bundle) {
			require.NoError(t, b.redis.Client.Del(b.ctx, setKey(b.redis.Prefix)).Err())
		},
		"marker lost": func(t *testing.T, b bundle) { replaceMarker(t, b, "") },
		// Redis restarted and restored an older snapshot: the marker names another run_id.
		"marker of another process": func(t *testing.T, b bundle) {
			replaceMarker(t, b, "0123456789abcdef0123456789abcdef01234567")
		},
		// Entries were added after the set was lost: the set exists again, without a marker.
		"set lost, then written": func(t *testing.T, b bundle) {
			require.NoError(t, b.redis.Client.Del(b.ctx, setKey(b.redis.Prefix)).Err())
			b.add(t, suppression.Input{Address: "later@example.fi"})
		},
	}
	for name, breakIt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.add(t, suppression.Input{Address: "stop@example.fi"})
			breakIt(t, b)
			requireUnavailable(t, b.list, "stop@example.fi")
			requireUnavailable(t, b.list, "free@example.fi")
			assert.Positive(t, b.list.Stats().Unavailable)

			require.NoError(t, b.list.EnsureReady(b.ctx))
			assert.True(t, b.suppressed(t, 0, "stop@example.fi"), "rebuilt from PostgreSQL")
			assert.False(t, b.suppressed(t, 0, "free@example.fi"))
		})
	}
}

func TestCheckFailsClosedWhenRedisIsUnreachable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now

	l, err := suppression.New(b.db.Pool, suppression.Config{
		RedisOptions: &redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1},
		Prefix:       b.redis.Prefix,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	requireUnavailable(t, l, "anyone@example.fi")
	require.ErrorIs(t, l.EnsureReady(b.ctx), suppression.ErrUnavailable)
	_, _, err = l.AddOne(b.ctx, suppression.Input{Address: "new@example.fi", Reason: suppression.ReasonUnsubscribe})
	require.ErrorIs(t, err, suppression.ErrUnavailable, "an add that cannot reach the mirror fails")
	n, err := l.Count(b.ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "and its transaction is rolled back: nothing promised")
}

// Adds that run while a rebuild streams ~50k entries are all in the rebuilt mirror.
func TestRebuildLosesNoConcurrentAdd(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const seeded = 50_000
	b.seed(t, seeded)
	other := b.newList(t) // the rebuild runs in "another process"

	var (
		done    atomic.Bool
		wg      sync.WaitGroup
		mu      sync.Mutex
		added   []string
		started = make(chan struct{})
		once    sync.Once
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !done.Load() || i < 20; i++ {
				addr := fmt.Sprintf("w%d-%d@during.example", w, i)
				_, _, err := b.list.AddOne(b.ctx, suppression.Input{Address: addr, Reason: suppression.ReasonUnsubscribe})
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				added = append(added, addr)
				mu.Unlock()
				once.Do(func() { close(started) })
			}
		})
	}
	<-started
	n, err := other.Rebuild(b.ctx)
	done.Store(true)
	wg.Wait()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, int64(seeded))

	verdicts, err := b.list.CheckMany(b.ctx, 0, added)
	require.NoError(t, err)
	for i, v := range verdicts {
		require.True(t, v.Suppressed, "%s was added during the rebuild and must be suppressed", added[i])
	}
	assert.True(t, b.suppressed(t, 0, bulkAddress(seeded-1)))
	stale, err := b.list.Verify(b.ctx)
	require.NoError(t, err)
	assert.False(t, stale, "mirror and table agree after the rebuild")
	t.Logf("%d adds during a rebuild of %d entries", len(added), n)
}

func TestOneRebuildAtATime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seed(t, 20_000)
	replaceMarker(t, b, "")
	lists := []*suppression.List{b.list, b.newList(t), b.newList(t)}
	before := b.list.Stats().Rebuilds // setup built the mirror once

	var wg sync.WaitGroup
	errs := make([]error, len(lists))
	for i, l := range lists {
		wg.Go(func() { errs[i] = l.EnsureReady(b.ctx) })
	}
	wg.Wait()
	var rebuilds uint64
	for i, l := range lists {
		require.NoError(t, errs[i])
		rebuilds += l.Stats().Rebuilds
	}
	assert.EqualValues(t, 1, rebuilds-before, "the others waited for the one rebuild")
	assert.True(t, b.suppressed(t, 0, bulkAddress(7)))

	_, err := b.redis.Client.Set(b.ctx, b.redis.Prefix+"{suppression}:rebuild", "someone-else", time.Minute).Result()
	require.NoError(t, err)
	_, err = b.list.Rebuild(b.ctx)
	require.ErrorIs(t, err, suppression.ErrRebuildInProgress)
}

// Run rebuilds as soon as a Check finds the mirror unready, without waiting for its interval.
func TestRunRebuildsWhenCheckSeesAStaleMirror(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.add(t, suppression.Input{Address: "stop@example.fi"})
	l, err := suppression.New(b.db.Pool, suppression.Config{RedisURL: b.redis.URL, Prefix: b.redis.Prefix,
		VerifyInterval: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })

	ctx, cancel := context.WithCancel(b.ctx)
	ran := make(chan error)
	go func() { ran <- l.Run(ctx) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-ran) })
	// Run verifies (and builds) the mirror first; a build finishing after the marker is replaced
	// below would put it back.
	require.Eventually(t, func() bool { return l.Stats().Verifications > 0 }, 10*time.Second, 5*time.Millisecond)

	replaceMarker(t, b, "old-run-id")
	// One check only: its failure wakes Run, whose rebuild may beat a second one.
	_, err = l.Check(b.ctx, 0, "stop@example.fi")
	require.ErrorIs(t, err, suppression.ErrUnavailable, "a stale mirror fails the check closed")
	require.Eventually(t, func() bool {
		v, err := l.Check(b.ctx, 0, "stop@example.fi")
		return err == nil && v.Suppressed
	}, 10*time.Second, 20*time.Millisecond)
}

// An Add whose mirror write came before a rebuild started, but whose transaction commits after,
// must not be lost by the rebuild's rename: the rebuild waits at the barrier for its commit.
func TestRebuildWaitsForAddInFlight(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seed(t, 1000)
	tx, err := b.db.Pool.Begin(b.ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback(b.ctx) })
	_, _, err = b.list.Add(b.ctx, tx, suppression.Input{Address: "slow@example.fi", Reason: suppression.ReasonUnsubscribe})
	require.NoError(t, err)

	other := b.newList(t)
	rebuilt := make(chan error, 1)
	go func() { _, err := other.Rebuild(b.ctx); rebuilt <- err }()

	h := fnv.New32a()
	h.Write([]byte(b.redis.Prefix))
	require.Eventually(t, func() bool {
		var waiting int
		err := b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM pg_locks
			WHERE locktype = 'advisory' AND NOT granted AND classid = $1 AND objid = $2`,
			uint32(0x4b6a5375), h.Sum32()).Scan(&waiting)
		return err == nil && waiting == 1
	}, 10*time.Second, 5*time.Millisecond, "the rebuild waits for the open transaction")
	select {
	case err := <-rebuilt:
		t.Fatalf("rebuild finished while an add was in flight: %v", err)
	default:
	}
	require.NoError(t, tx.Commit(b.ctx))
	require.NoError(t, <-rebuilt)
	assert.True(t, b.suppressed(t, 0, "slow@example.fi"))
}

// The counts can agree while the mirror lacks an entry and holds something else instead (the
// dangerous way round: a send to that address would pass). Verify looks entries up as well as
// counting them, and rebuilds.
func TestVerifyFindsAMissingEntryTheCountsHide(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.add(t, suppression.Input{Address: "stop@example.fi"})
	b.seed(t, 100) // straight into the table; a table this small is sampled whole
	_, err := b.list.Rebuild(b.ctx)
	require.NoError(t, err)
	stale, err := b.list.Verify(b.ctx)
	require.NoError(t, err)
	require.False(t, stale, "mirror and table agree before the mirror is tampered with")
	set := b.redis.Prefix + "{suppression}:set"
	removed, err := b.redis.Client.SRem(b.ctx, set, suppression.MirrorMember("stop@example.fi", 0)).Result()
	require.NoError(t, err)
	require.EqualValues(t, 1, removed)
	require.NoError(t, b.redis.Client.SAdd(b.ctx, set, "a member of nothing").Err())
	require.False(t, b.suppressed(t, 0, "stop@example.fi"), "the mirror lost the entry")

	stale, err = b.list.Verify(b.ctx)
	require.NoError(t, err)
	assert.True(t, stale)
	assert.True(t, b.suppressed(t, 0, "stop@example.fi"), "rebuilt")
	stale, err = b.list.Verify(b.ctx)
	require.NoError(t, err)
	assert.False(t, stale, "a sound mirror is not rebuilt")
}
