package suppression_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/suppression"
)

// gate holds every write to Redis while it is shut, so a test can let Checks pile up behind a
// lookup in flight.
type gate struct {
	mu   sync.Mutex
	open chan struct{}
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
	<-ch
}

type gatedConn struct {
	net.Conn
	g *gate
}

func (c gatedConn) Write(p []byte) (int, error) {
	c.g.wait()
	return c.Conn.Write(p)
}

func TestConcurrentChecksShareLookups(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brandA := b.brand(t, "A")
	b.add(t, suppression.Input{Address: "all@example.fi"})
	b.add(t, suppression.Input{Domain: "blocked.example"})
	b.add(t, suppression.Input{Address: "only-a@example.fi", BrandID: brandA})

	g := newGate()
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
	}
	const rounds = 10
	before := l.Stats()
	g.shut()
	var wg sync.WaitGroup
	for range rounds {
		for _, tt := range tests {
			wg.Go(func() {
				v, err := l.Check(b.ctx, tt.brand, tt.addr)
				if assert.NoError(t, err) {
					assert.Equal(t, tt.wantScope, v.Scope, "%s for brand %d", tt.addr, tt.brand)
				}
			})
		}
	}
	// Every Check has begun: the first one's lookup is held at the gate, the others wait behind it.
	require.Eventually(t, func() bool { return l.Stats().Checks-before.Checks == rounds*uint64(len(tests)) },
		10*time.Second, time.Millisecond)
	g.release()
	wg.Wait()

	lookups := l.Stats().Lookups - before.Lookups
	// One for the Check that went first, one for those that queued behind it, and room for a
	// Check that had counted itself but not yet joined when the gate opened.
	assert.LessOrEqual(t, lookups, uint64(4), "%d concurrent Checks made %d lookups", rounds*len(tests), lookups)
	assert.Positive(t, lookups)
}
