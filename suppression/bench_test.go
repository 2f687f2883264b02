package suppression_test

import (
	"context"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/suppression"
)

const benchEntries = 1_000_000

// BenchmarkCheck measures the send-time check against a mirror of 1,000,000 entries, beside a
// bare SISMEMBER round trip to the same set on the same server in the same run.
//
//	go test -run '^$' -bench 'Check' -benchtime 3s ./suppression/
func BenchmarkCheck(b *testing.B) {
	bb := setupBench(b)
	fillMirror(b, bb)
	ctx := bb.ctx
	setKey := setKey(bb.redis.Prefix)

	b.Run("Check", func(b *testing.B) {
		i := 0
		for b.Loop() {
			// Every other address is on the list (even i in range), so hits and misses alternate.
			if _, err := bb.list.Check(ctx, 0, bulkAddress(i%(2*benchEntries))); err != nil {
				b.Fatal(err)
			}
			i += 1_000_003
		}
	})
	b.Run("CheckBrand", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := bb.list.Check(ctx, 42, bulkAddress(i%(2*benchEntries))); err != nil {
				b.Fatal(err)
			}
			i += 1_000_003
		}
	})
	b.Run("bare_SISMEMBER", func(b *testing.B) {
		i := 0
		for b.Loop() {
			h := suppression.Hash(bulkAddress(i % (2 * benchEntries)))
			if err := bb.redis.Client.SIsMember(ctx, setKey, "a:"+string(h[:])).Err(); err != nil {
				b.Fatal(err)
			}
			i += 1_000_003
		}
	})
	// Interleaved, so that load from elsewhere on the machine weighs on both alike.
	b.Run("paired", func(b *testing.B) {
		var check, bare time.Duration
		i := 0
		for b.Loop() {
			addr := bulkAddress(i % (2 * benchEntries))
			t0 := time.Now()
			if _, err := bb.list.Check(ctx, 42, addr); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			h := suppression.Hash(addr)
			if err := bb.redis.Client.SIsMember(ctx, setKey, "a:"+string(h[:])).Err(); err != nil {
				b.Fatal(err)
			}
			check, bare = check+t1.Sub(t0), bare+time.Since(t1)
			i += 1_000_003
		}
		b.ReportMetric(float64(check.Nanoseconds())/float64(b.N), "check_ns")
		b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "sismember_ns")
		b.ReportMetric(float64(check)/float64(bare), "check/sismember")
	})
	b.Run("Check_parallel", func(b *testing.B) {
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(n.Add(1_000_003))
				if _, err := bb.list.Check(ctx, 0, bulkAddress(i%(2*benchEntries))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkRebuild measures a rebuild of the mirror from 1,000,000 rows, and the peak Go heap
// while it runs (it streams, so the heap must stay far below the mirror's size).
//
//	go test -run '^$' -bench 'Rebuild' -benchtime 3x ./suppression/
func BenchmarkRebuild(b *testing.B) {
	bb := setupBench(b)
	bb.seed(b, benchEntries)
	stop := sampleHeap()
	var n int64
	for b.Loop() {
		var err error
		if n, err = bb.list.Rebuild(bb.ctx); err != nil {
			b.Fatal(err)
		}
	}
	peak := stop()
	require.EqualValues(b, benchEntries, n)
	b.ReportMetric(float64(benchEntries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MB")
}

func setupBench(b *testing.B) bundle {
	b.Helper()
	return setup(b)
}

// fillMirror writes benchEntries members for bulkAddress(0, 2, 4, …) straight into the mirror set
// with pipelined SADDs, and adds the ready marker for the server's run_id, as Rebuild would.
func fillMirror(b *testing.B, bb bundle) {
	b.Helper()
	ctx := context.Background()
	key := setKey(bb.redis.Prefix)
	const chunk = 10_000
	pipe := bb.redis.Client.Pipeline()
	members := make([]any, 0, chunk)
	for i := range benchEntries {
		h := suppression.Hash(bulkAddress(2 * i))
		members = append(members, "a:"+string(h[:]))
		if len(members) == chunk {
			pipe.SAdd(ctx, key, members...)
			members = make([]any, 0, chunk)
			if pipe.Len() == 10 {
				_, err := pipe.Exec(ctx)
				require.NoError(b, err)
			}
		}
	}
	_, err := pipe.Exec(ctx)
	require.NoError(b, err)
	require.NoError(b, bb.redis.Client.SAdd(ctx, key, "r:"+serverRunID(b, bb.redis.Client)).Err())
	require.EqualValues(b, benchEntries+1, bb.redis.Client.SCard(ctx, key).Val())
}

// sampleHeap samples the live Go heap until the returned function is called, which returns the peak.
func sampleHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}
