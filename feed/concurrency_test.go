package feed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/feed"
	"github.com/kirje/kirje/internal/pg"
)

// Writers commit events in short and long transactions (sleeping inside them, some rolling
// back) while a reader pages through the feed with a small limit. In the end the reader has
// seen every committed event exactly once, in strictly increasing cursor order, and nothing
// that was rolled back.
func TestFeedUnderConcurrentWritersHasNoGapsOrDuplicates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	const writers, txPerWriter = 8, 25
	pool := bigPool(t, b.db, writers+2)

	var (
		mu        sync.Mutex
		committed = map[string]bool{}
		done      atomic.Bool
		wg        sync.WaitGroup
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for i := range txPerWriter {
				keys, err := writeTx(ctx, pool, rng, fmt.Sprintf("w%d-%d", w, i))
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				for _, k := range keys {
					committed[k] = true
				}
				mu.Unlock()
			}
		}()
	}
	go func() { wg.Wait(); done.Store(true) }()

	seen := map[string]int{}
	var last feed.Cursor
	pages := 0
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		finished := done.Load() // read before the page: a page after the last commit follows
		p, err := feed.Read(ctx, pool, feed.Query{After: last, Limit: 7})
		require.NoError(t, err)
		pages++
		for _, e := range p.Events {
			require.True(t, less(last, e.Cursor), "cursor %v after %v: order broken", e.Cursor, last)
			last = e.Cursor
			var data struct{ Key string }
			require.NoError(t, json.Unmarshal(e.Data, &data))
			seen[data.Key]++
		}
		if finished && len(p.Events) == 0 && len(seen) >= len(committed) {
			break
		}
		if len(p.Events) == 0 {
			time.Sleep(5 * time.Millisecond) // writers hold the horizon; nothing to wait on
		}
	}
	require.True(t, done.Load(), "writers did not finish")
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, committed)
	for k := range committed {
		assert.Equal(t, 1, seen[k], "committed event %s seen %d times", k, seen[k])
	}
	for k, n := range seen {
		assert.True(t, committed[k], "event %s was served but never committed", k)
		assert.Equal(t, 1, n)
	}
	t.Logf("%d committed events read in %d pages", len(committed), pages)
}

// writeTx writes one to three events in a transaction that sleeps between them: mostly short,
// sometimes long. One in eight rolls back. It returns the keys it committed.
func writeTx(ctx context.Context, db pg.TxBeginner, rng *rand.Rand, name string) ([]string, error) {
	var keys []string
	rollback := rng.IntN(8) == 0
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		for j := range 1 + rng.IntN(3) {
			key := fmt.Sprintf("%s-%d", name, j)
			if _, err := events.Insert(ctx, tx, events.Event{Type: events.Open, Data: map[string]any{"key": key}}); err != nil {
				return err
			}
			keys = append(keys, key)
			pause := time.Duration(rng.IntN(3)) * time.Millisecond
			if rng.IntN(10) == 0 {
				pause = time.Duration(50+rng.IntN(150)) * time.Millisecond
			}
			time.Sleep(pause) // the point of the test: a transaction that takes its time
		}
		if rollback {
			return errRollback
		}
		return nil
	})
	if rollback {
		return nil, nil
	}
	return keys, err
}

var errRollback = fmt.Errorf("rollback on purpose")

func less(a, b feed.Cursor) bool {
	return a.Tx < b.Tx || (a.Tx == b.Tx && a.ID < b.ID)
}
