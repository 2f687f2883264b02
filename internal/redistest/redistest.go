// Package redistest gives each test its own key prefix on the Redis server named by
// KIRJE_REDIS_URL (default: the local server scripts/services.sh starts). Tests never flush a
// shared database: they use their prefix for Kirje's keys and asynq queue names, and their keys
// are deleted when the test ends.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// DefaultURL is the Redis the local services script starts.
const DefaultURL = "redis://127.0.0.1:25379/0"

// URL returns KIRJE_REDIS_URL, or DefaultURL when it is unset.
func URL() string {
	if u := os.Getenv("KIRJE_REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Redis is a test's share of the server.
type Redis struct {
	Client *redis.Client
	URL    string
	// Prefix starts every key the test's code writes, e.g. "kt:4f2a91:". Kirje components take it
	// as their namespace, and asynq queues are named with it.
	Prefix string
}

// New connects to Redis and returns a fresh prefix whose keys are removed when the test ends.
func New(t testing.TB) *Redis {
	t.Helper()
	opts, err := redis.ParseURL(URL())
	require.NoError(t, err)
	c := redis.NewClient(opts)
	require.NoError(t, c.Ping(context.Background()).Err(),
		"redistest: is Redis up? run scripts/services.sh up or set KIRJE_REDIS_URL")
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	r := &Redis{Client: c, URL: URL(), Prefix: "kt:" + hex.EncodeToString(b) + ":"}
	t.Cleanup(func() {
		r.cleanup(context.Background())
		_ = c.Close()
	})
	return r
}

// Keys returns the test's keys matching pattern after its prefix ("*" for all).
func (r *Redis) Keys(ctx context.Context, pattern string) []string {
	keys, _ := r.scan(ctx, r.Prefix+pattern)
	return keys
}

func (r *Redis) cleanup(ctx context.Context) {
	if os.Getenv("KIRJE_TEST_KEEP") != "" {
		return
	}
	for _, pattern := range []string{r.Prefix + "*", "asynq:{" + r.Prefix + "*"} {
		keys, _ := r.scan(ctx, pattern)
		for len(keys) > 0 {
			n := min(len(keys), 500)
			r.Client.Del(ctx, keys[:n]...)
			keys = keys[n:]
		}
	}
	// asynq lists every queue it has seen in one set; forget the test's.
	queues, _ := r.Client.SMembers(ctx, "asynq:queues").Result()
	for _, q := range queues {
		if strings.HasPrefix(q, r.Prefix) {
			r.Client.SRem(ctx, "asynq:queues", q)
		}
	}
}

func (r *Redis) scan(ctx context.Context, pattern string) ([]string, error) {
	var out []string
	iter := r.Client.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		out = append(out, iter.Val())
	}
	return out, iter.Err()
}
