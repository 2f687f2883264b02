package suppression

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// swapScript marks the temporary set (KEYS[3]) ready for run_id ARGV[1], makes it the live one
// (KEYS[1]) and releases the lock (KEYS[2]), all at once, so no Check and no mirror write sees a
// state in between. It returns the number of entries (members less the marker).
var swapScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= KEYS[3] then
  return redis.error_reply('KIRJE_LOST_LOCK suppression rebuild lock lost')
end
redis.call('SADD', KEYS[3], 'r:' .. ARGV[1])
-- The old set is renamed away and UNLINKed: freed in the background, not while Redis blocks.
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[3] .. ':old')
  redis.call('UNLINK', KEYS[3] .. ':old')
end
redis.call('RENAME', KEYS[3], KEYS[1])
redis.call('PERSIST', KEYS[1])
redis.call('DEL', KEYS[2])
return redis.call('SCARD', KEYS[1]) - 1`)

// abandonScript releases the lock if it is still ours and drops the temporary set.
var abandonScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) == KEYS[1] then redis.call('DEL', KEYS[2]) end
redis.call('UNLINK', KEYS[1])
return 1`)

// Rebuild builds the mirror anew from PostgreSQL and marks it ready for the Redis process that
// holds it; it returns the number of members. It returns ErrRebuildInProgress when another
// process is rebuilding. Entries added or removed while it runs are not lost (see doc.go).
// Memory stays bounded: rows are streamed and written in chunks.
func (l *List) Rebuild(ctx context.Context) (n int64, err error) {
	n, _, err = l.rebuild(ctx, false)
	return n, err
}

// rebuild is Rebuild; with ifUnready it first checks, holding the lock, that no other process
// finished a rebuild meanwhile, and then does nothing (done=false).
func (l *List) rebuild(ctx context.Context, ifUnready bool) (n int64, done bool, err error) {
	start := time.Now()
	tmp := l.keys.tmpPrefix + randomToken()
	ok, err := l.rdb.SetNX(ctx, l.keys.lock, tmp, l.cfg.LockTTL).Result()
	if err != nil {
		return 0, false, fmt.Errorf("suppression: rebuild: lock: %w: %w", ErrUnavailable, err)
	}
	if !ok {
		return 0, false, fmt.Errorf("suppression: rebuild: %w", ErrRebuildInProgress)
	}
	// The command above returned, so this is the run_id of the server holding the lock.
	runID := l.currentRunID()
	defer func() {
		if err != nil {
			l.stats.rebuildFailures.Add(1)
		}
		if err != nil || !done {
			_ = abandonScript.Run(context.WithoutCancel(ctx), l.rdb, []string{tmp, l.keys.lock}).Err()
		}
	}()
	if ifUnready {
		if ready, err := l.isReady(ctx); err != nil || ready {
			return 0, false, err
		}
	}
	// From here on every mirror write also lands in tmp. Wait for the writers that wrote before
	// (they hold the barrier shared until they end), so the snapshot below sees their rows.
	if err := l.barrier(ctx, nil); err != nil {
		return 0, false, fmt.Errorf("suppression: rebuild: %w", err)
	}
	if err := l.fill(ctx, tmp); err != nil {
		return 0, false, fmt.Errorf("suppression: rebuild: %w", err)
	}
	n, err = swapScript.Run(ctx, l.rdb, []string{l.keys.set, l.keys.lock, tmp}, runID).Int64()
	if err != nil {
		return 0, false, fmt.Errorf("suppression: rebuild: swap: %w", err)
	}
	done = true
	if now := l.currentRunID(); now != runID {
		return 0, done, fmt.Errorf("suppression: rebuild: %w: Redis restarted during the rebuild", ErrUnavailable)
	}
	l.stats.rebuilds.Add(1)
	l.log.InfoContext(ctx, "suppression: mirror rebuilt", "entries", n,
		"duration_ms", time.Since(start).Milliseconds())
	l.warnIfEvicting(ctx)
	return n, done, nil
}

// warnIfEvicting logs when Redis may evict keys: an evicted mirror fails closed, which stops
// sending until the next rebuild. CONFIG may be disabled: then it is quiet.
func (l *List) warnIfEvicting(ctx context.Context) {
	policy, err := l.rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	if err == nil && policy["maxmemory-policy"] != "" && policy["maxmemory-policy"] != "noeviction" {
		l.log.WarnContext(ctx, "suppression: Redis may evict keys; set maxmemory-policy noeviction",
			"maxmemory_policy", policy["maxmemory-policy"])
	}
}

func randomToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// isReady reports whether the mirror holds the ready marker of the Redis process now serving.
func (l *List) isReady(ctx context.Context) (bool, error) {
	if l.currentRunID() == "" {
		if err := l.rdb.Ping(ctx).Err(); err != nil {
			return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
	}
	runID := l.currentRunID()
	ok, err := l.rdb.SIsMember(ctx, l.keys.set, readyMember(runID)).Result()
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return ok && l.currentRunID() == runID, nil
}
