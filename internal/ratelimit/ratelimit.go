package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrInvalid is returned (wrapped) for a request that cannot be evaluated, e.g. the same bucket
// named twice in one Reserve.
var ErrInvalid = errors.New("ratelimit: invalid request")

// Bucket is a token bucket: it holds at most Burst tokens and refills at Rate tokens per second.
// A Rate of 0 (or less) means unlimited: the bucket is not consulted and no key is written. A
// Burst below 1 counts as 1. Buckets are identified by Key alone; callers must use one Rate and
// Burst per Key.
type Bucket struct {
	Key   string
	Rate  float64
	Burst int
}

func (b Bucket) unlimited() bool { return !(b.Rate > 0) } // NaN counts as unlimited too

// Want asks for N tokens from Bucket.
type Want struct {
	Bucket Bucket
	N      int
}

// Limiter evaluates buckets stored under one key prefix. It is safe for concurrent use, and any
// number of Limiters in any number of processes with the same Redis and prefix share the buckets.
type Limiter struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a Limiter keeping its buckets in rdb under prefix (e.g. "kirje:rl:").
func New(rdb redis.UniversalClient, prefix string) *Limiter {
	return &Limiter{rdb: rdb, prefix: prefix}
}

// Allow takes up to n tokens from b and returns how many it granted (0..n). When it granted fewer
// than n, retryAfter is the time until the bucket's next token; otherwise it is 0. For per-IP
// limits on HTTP routes, with n = 1.
func (l *Limiter) Allow(ctx context.Context, b Bucket, n int) (granted int, retryAfter time.Duration, err error) {
	g, retry, err := l.Reserve(ctx, Bucket{}, []Want{{Bucket: b, N: n}})
	if err != nil {
		return 0, 0, err
	}
	return g[0], retry, nil
}

// Reserve grants, in one round trip, up to perKey[i].N tokens from each perKey bucket, limited
// by that bucket and, in total, by the shared bucket (a relay's or brand's rate; Rate 0 for
// none). It consumes exactly what it grants. When the shared bucket cannot cover every request it
// is divided evenly, so one large domain does not starve the others. granted[i] belongs to
// perKey[i]. When something was not granted, retryAfter is the earliest time at which one more of
// the deferred tokens can be granted (the next token of the bucket that held it back); the caller
// schedules the deferred rest for then. retryAfter is 0 when everything was granted.
func (l *Limiter) Reserve(ctx context.Context, shared Bucket, perKey []Want) (granted []int, retryAfter time.Duration, err error) {
	if len(perKey) == 0 {
		return nil, 0, nil
	}
	keys := make([]string, 0, len(perKey)+1)
	args := make([]any, 0, 3*len(perKey)+2)
	seen := make(map[string]bool, len(perKey)+1)
	keys = append(keys, l.prefix+shared.Key)
	args = append(args, rate(shared), burst(shared))
	if !shared.unlimited() {
		seen[shared.Key] = true
	}
	for _, w := range perKey {
		if !w.Bucket.unlimited() {
			if seen[w.Bucket.Key] {
				return nil, 0, fmt.Errorf("%w: bucket %q named twice", ErrInvalid, w.Bucket.Key)
			}
			seen[w.Bucket.Key] = true
		}
		keys = append(keys, l.prefix+w.Bucket.Key)
		args = append(args, rate(w.Bucket), burst(w.Bucket), max(w.N, 0))
	}
	res, err := reserveScript.Run(ctx, l.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, 0, fmt.Errorf("ratelimit: reserve: %w", err)
	}
	if len(res) != len(perKey)+1 {
		return nil, 0, fmt.Errorf("ratelimit: reserve: %d results for %d buckets", len(res), len(perKey))
	}
	granted = make([]int, len(perKey))
	for i := range granted {
		granted[i] = int(res[i])
	}
	return granted, time.Duration(res[len(perKey)]) * time.Microsecond, nil
}

// rate is the script's rate argument: 0 for unlimited.
func rate(b Bucket) string {
	if b.unlimited() || math.IsInf(b.Rate, 1) {
		return "0"
	}
	return strconv.FormatFloat(b.Rate, 'g', -1, 64)
}

func burst(b Bucket) int { return max(b.Burst, 1) }
