package ratelimit_test

import (
	"context"
	"testing"

	"github.com/kirje/kirje/internal/ratelimit"
	"github.com/kirje/kirje/internal/redistest"
)

// BenchmarkReserve is one batch decision: a relay bucket and five recipient domains.
//
//	go test -run '^$' -bench Reserve ./internal/ratelimit/
func BenchmarkReserve(b *testing.B) {
	r := redistest.New(b)
	l := ratelimit.New(r.Client, r.Prefix)
	shared := ratelimit.Bucket{Key: "relay", Rate: 1e9, Burst: 1e9}
	wants := make([]ratelimit.Want, 5)
	for i := range wants {
		wants[i] = ratelimit.Want{Bucket: ratelimit.Bucket{Key: "domain:" + string(rune('a'+i)), Rate: 1e9, Burst: 1e9}, N: 20}
	}
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := l.Reserve(ctx, shared, wants); err != nil {
			b.Fatal(err)
		}
	}
}
