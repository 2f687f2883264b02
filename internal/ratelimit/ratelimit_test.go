package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/ratelimit"
	"github.com/kirje/kirje/internal/redistest"
)

func setup(t *testing.T) (*ratelimit.Limiter, *redistest.Redis) {
	t.Helper()
	r := redistest.New(t)
	return ratelimit.New(r.Client, r.Prefix), r
}

func TestAllowBurstThenThrottleThenRefill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, _ := setup(t)
	// One token a second: the six requests below take far less than that.
	b := ratelimit.Bucket{Key: "ip:192.0.2.1", Rate: 1, Burst: 5}

	for i := range 5 {
		g, retry, err := l.Allow(ctx, b, 1)
		require.NoError(t, err)
		require.Equal(t, 1, g, "request %d is within the burst", i)
		require.Zero(t, retry)
	}
	g, retry, err := l.Allow(ctx, b, 1)
	require.NoError(t, err)
	require.Zero(t, g, "the burst is spent")
	require.Positive(t, retry)
	require.LessOrEqual(t, retry, time.Second, "one token takes a second")

	<-time.After(retry) // wait exactly until the token is due
	g, _, err = l.Allow(ctx, b, 1)
	require.NoError(t, err)
	assert.Equal(t, 1, g, "a token arrived after retryAfter")
}

func TestAllowGrantsPartially(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, _ := setup(t)
	b := ratelimit.Bucket{Key: "partial", Rate: 0.001, Burst: 5}
	g, _, err := l.Allow(ctx, b, 3)
	require.NoError(t, err)
	assert.Equal(t, 3, g)
	g, retry, err := l.Allow(ctx, b, 3)
	require.NoError(t, err)
	assert.Equal(t, 2, g, "what is left")
	assert.InDelta(t, 1000*time.Second, retry, float64(time.Second), "a token per 1000 s")
}

func TestUnlimitedBucketWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, r := setup(t)
	g, retry, err := l.Allow(ctx, ratelimit.Bucket{Key: "free"}, 1_000_000)
	require.NoError(t, err)
	assert.Equal(t, 1_000_000, g)
	assert.Zero(t, retry)
	assert.Empty(t, r.Keys(ctx, "*"))
}

func TestReserveSharedAndPerDomainCaps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, r := setup(t)
	relay := ratelimit.Bucket{Key: "relay:default", Rate: 0.01, Burst: 10}
	domain := func(d string, burst int) ratelimit.Bucket {
		return ratelimit.Bucket{Key: "domain:" + d, Rate: 0.01, Burst: burst}
	}

	tests := []struct {
		name   string
		shared ratelimit.Bucket
		wants  []ratelimit.Want
		want   []int
	}{
		{"domain cap then shared cap", relay, []ratelimit.Want{{domain("a.example", 3), 5}, {domain("b.example", 20), 20}}, []int{3, 7}},
		{"nothing left in the shared bucket", relay, []ratelimit.Want{{domain("c.example", 5), 1}}, []int{0}},
		{"without a shared limit", ratelimit.Bucket{Key: "none"}, []ratelimit.Want{{domain("c.example", 5), 9}, {domain("b.example", 20), 1}}, []int{5, 1}},
	}
	for _, tt := range tests {
		got, retry, err := l.Reserve(ctx, tt.shared, tt.wants)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
		assert.Positive(t, retry, "%s: something was deferred", tt.name)
	}
	ttl := r.Client.PTTL(ctx, r.Prefix+"relay:default").Val()
	assert.Positive(t, ttl, "a used bucket expires")
	assert.LessOrEqual(t, ttl, 1001*time.Second, "once it would be full again: 10 tokens at 0.01/s, plus a second")
	assert.Zero(t, r.Client.Exists(ctx, r.Prefix+"none").Val(), "an unlimited bucket has no key")
}

func TestReserveDividesTheSharedBucketEvenly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, _ := setup(t)
	shared := ratelimit.Bucket{Key: "brand:1", Rate: 0.01, Burst: 10}
	big := ratelimit.Bucket{Key: "domain:big.example", Rate: 100, Burst: 1000}
	small1 := ratelimit.Bucket{Key: "domain:s1.example", Rate: 100, Burst: 1000}
	small2 := ratelimit.Bucket{Key: "domain:s2.example", Rate: 100, Burst: 1000}
	got, retry, err := l.Reserve(ctx, shared, []ratelimit.Want{{big, 100}, {small1, 2}, {small2, 2}})
	require.NoError(t, err)
	assert.Equal(t, []int{6, 2, 2}, got, "the big domain gets what the small ones leave")
	assert.InDelta(t, 100*time.Second, retry, float64(time.Second), "the shared bucket's next token")
}

func TestReserveRetryAfterIsTheEarliestDeferredToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, _ := setup(t)
	fast := ratelimit.Bucket{Key: "domain:fast", Rate: 1000, Burst: 1}
	slow := ratelimit.Bucket{Key: "domain:slow", Rate: 1, Burst: 1}
	got, retry, err := l.Reserve(ctx, ratelimit.Bucket{}, []ratelimit.Want{{slow, 2}, {fast, 2}})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 1}, got)
	assert.LessOrEqual(t, retry, time.Millisecond, "the fast domain's next token is due first")

	<-time.After(retry)
	got, _, err = l.Reserve(ctx, ratelimit.Bucket{}, []ratelimit.Want{{slow, 1}, {fast, 1}})
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1}, got)
}

func TestReserveRejectsABucketNamedTwice(t *testing.T) {
	t.Parallel()
	l, _ := setup(t)
	b := ratelimit.Bucket{Key: "d", Rate: 1, Burst: 1}
	_, _, err := l.Reserve(context.Background(), b, []ratelimit.Want{{b, 1}})
	require.ErrorIs(t, err, ratelimit.ErrInvalid)
}

// Two Limiters with their own connections stand for two worker processes. Hammering one bucket
// concurrently, they never grant more than it holds.
func TestTwoProcessesNeverExceedTheSharedBucket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, r := setup(t)
	opts, err := redis.ParseURL(r.URL)
	require.NoError(t, err)
	var limiters []*ratelimit.Limiter
	for range 2 {
		c := redis.NewClient(opts)
		t.Cleanup(func() { _ = c.Close() })
		limiters = append(limiters, ratelimit.New(c, r.Prefix))
	}
	// Nearly no refill: over the test's few seconds it adds far less than one token.
	shared := ratelimit.Bucket{Key: "relay:shared", Rate: 0.0001, Burst: 500}
	var total atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		l := limiters[w%2]
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				d := ratelimit.Bucket{Key: "domain:" + string(rune('a'+w)) + ".example", Rate: 0.0001, Burst: 1000}
				got, _, err := l.Reserve(ctx, shared, []ratelimit.Want{{d, 3}})
				if !assert.NoError(t, err) {
					return
				}
				total.Add(int64(got[0]))
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 500, total.Load(), "exactly the burst, shared by both processes")
}
