package suppression_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/suppression"
)

// gate holds every reply from Redis while it is shut, so a test can let Checks pile up behind a
// lookup in flight: one that Redis has answered, but whose answer has not arrived.
type gate struct {
	mu      sync.Mutex
	open    chan struct{}
	waiting atomic.Int32 // reads held now
}

func newGate() *gate {
	g := &gate{open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gate) shut() {
	g.mu.Lock()
	g.open = make(chan struct{})
	g.mu.Unlock()
}

func (g *gate) release() {
	g.mu.Lock()
	close(g.open)
	g.mu.Unlock()
}

func (g *gate) wait() {
	g.mu.Lock()
	ch := g.open
	g.mu.Unlock()
	g.waiting.Add(1)
	<-ch
	g.waiting.Add(-1)
}

type gatedConn struct {
	net.Conn
	g *gate
}

func (c gatedConn) Read(p []byte) (int, error) {
	c.g.wait()
	return c.Conn.Read(p)
}

// gatedList is a List on b's schema and prefix whose Redis replies wait at g, connected and
// ready.
func gatedList(t *testing.T, b bundle, g *gate) *suppression.List {
	t.Helper()
	opts, err := redis.ParseURL(b.redis.URL)
	require.NoError(t, err)
	opts.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		return gatedConn{Conn: c, g: g}, err
	}
	l, err := suppression.New(b.db.Pool, suppression.Config{RedisOptions: opts, Prefix: b.redis.Prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	require.NoError(t, l.EnsureReady(b.ctx))
	_, err = l.Check(b.ctx, 0, "warm@example.fi") // connected, run_id known
	require.NoError(t, err)
	return l
}

// shutUntilCleanup shuts g and opens it when the test ends, if the test has not.
func shutUntilCleanup(t *testing.T, g *gate) (release func()) {
	g.shut()
	var once sync.Once
	release = func() { once.Do(g.release) }
	t.Cleanup(release)
	return release
}

func TestConcurrentChecksShareLookups(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brandA := b.brand(t, "A")
	b.add(t, suppression.Input{Address: "all@example.fi"})
	b.add(t, suppression.Input{Domain: "blocked.example"})
	b.add(t, suppression.Input{Address: "only-a@example.fi", BrandID: brandA})
	g := newGate()
	l := gatedList(t, b, g)

	tests := []struct {
		addr      string
		brand     int64
		wantScope string
	}{
		{"all@example.fi", 0, suppression.ScopeAddress},
		{"anyone@blocked.example", brandA, suppression.ScopeDomain},
		{"only-a@example.fi", brandA, suppression.ScopeBrandAddress},
		{"only-a@example.fi", 0, ""},
		{"free@example.fi", brandA, ""},
		{"free@example.fi", 0, ""},
		// Suppressed after Redis answered the first lookup, before its own Check began: it must
		// be seen, so it cannot have shared that lookup.
		{"late@example.fi", 0, suppression.ScopeAddress},
	}
	const rounds = 10
	before, joinedBefore := l.Stats(), suppression.CombinerJoined(l)
	release := shutUntilCleanup(t, g)
	var wg sync.WaitGroup
	check := func(addr string, brand int64, wantScope string) {
		wg.Go(func() {
			v, err := l.Check(b.ctx, brand, addr)
			if assert.NoError(t, err) {
				assert.Equal(t, wantScope, v.Scope, "%s for brand %d", addr, brand)
			}
		})
	}
	first := tests[0]
	check(first.addr, first.brand, first.wantScope)
	// The first Check's lookup has been answered by Redis, and the answer is held at the gate;
	// every later Check joins the group behind it.
	require.Eventually(t, func() bool { return g.waiting.Load() == 1 }, 10*time.Second, time.Millisecond)
	b.add(t, suppression.Input{Address: "late@example.fi"}) // through another List, not gated
	want := uint64(1)
	for range rounds {
		for _, tt := range tests {
			check(tt.addr, tt.brand, tt.wantScope)
			want++
		}
	}
	require.Eventually(t, func() bool { return suppression.CombinerJoined(l)-joinedBefore == want }, 10*time.Second, time.Millisecond)
	release()
	wg.Wait()

	lookups := l.Stats().Lookups - before.Lookups
	assert.Equal(t, want, l.Stats().Checks-before.Checks)
	// The first Check's lookup, and one for all that joined while it was held.
	assert.LessOrEqual(t, lookups, uint64(2), "%d concurrent Checks made %d lookups", want, lookups)
	assert.Positive(t, lookups)
}

// A Check whose context ends while it waits behind the lookup in flight fails closed at once,
// and the others still get their answers.
func TestCheckWaitingForASharedLookupFailsClosedWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.add(t, suppression.Input{Address: "all@example.fi"})
	g := newGate()
	l := gatedList(t, b, g)
	release := shutUntilCleanup(t, g)

	other := make(chan suppression.Verdict, 1)
	go func() {
		v, err := l.Check(b.ctx, 0, "all@example.fi") // its lookup's answer is held at the gate
		assert.NoError(t, err)
		other <- v
	}()
	require.Eventually(t, func() bool { return g.waiting.Load() == 1 }, 10*time.Second, time.Millisecond)
	ctx, cancel := context.WithCancel(b.ctx)
	ended := make(chan error, 1)
	go func() {
		_, err := l.Check(ctx, 0, "free@example.fi")
		ended <- err
	}()
	require.Eventually(t, func() bool { return suppression.CombinerJoined(l) == 3 }, 10*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-ended:
		require.ErrorIs(t, err, suppression.ErrUnavailable)
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("a Check whose context ended kept waiting")
	}
	release()
	select {
	case v := <-other:
		assert.True(t, v.Suppressed)
	case <-time.After(10 * time.Second):
		t.Fatal("the held Check never got its answer")
	}
}
