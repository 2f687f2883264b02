package suppression

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// rebuildChunk is how many members one fill script adds.
const rebuildChunk = 10_000

// fillScript adds members to the rebuild's temporary set (KEYS[1]) while the rebuild lock
// (KEYS[2]) still names that set, and renews both TTLs (ARGV[1] ms).
var fillScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= KEYS[1] then
  return redis.error_reply('KIRJE_LOST_LOCK suppression rebuild lock lost')
end
for i = 2, #ARGV, 1000 do
  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1`)

// fill streams every entry from one snapshot of the table into tmp. Reading PostgreSQL and
// writing Redis overlap: a goroutine reads the next chunk while the previous one is written.
func (l *List) fill(ctx context.Context, tmp string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []any, 2)
	readErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		readErr <- l.readMembers(ctx, chunks)
	}()
	for args := range chunks {
		if err := fillScript.Run(ctx, l.rdb, []string{tmp, l.keys.lock}, args...).Err(); err != nil {
			cancel()
			for range chunks { // let the reader finish
			}
			return fmt.Errorf("write mirror: %w", err)
		}
	}
	return <-readErr
}

const streamSQL = `SELECT address_hash, coalesce(domain, ''), coalesce(brand_id, 0) FROM suppressions`

// readMembers sends the members of every row in chunks of fillScript arguments: the TTL, then
// up to rebuildChunk members.
func (l *List) readMembers(ctx context.Context, out chan<- []any) error {
	rows, err := l.pool.Query(ctx, streamSQL)
	if err != nil {
		return fmt.Errorf("read entries: %w", err)
	}
	defer rows.Close()
	ttl := l.cfg.LockTTL.Milliseconds()
	args := append(make([]any, 0, rebuildChunk+1), ttl)
	send := func() error {
		select {
		case out <- args:
			args = append(make([]any, 0, rebuildChunk+1), ttl)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var (
		hash    []byte
		domain  string
		brandID int64
	)
	for rows.Next() {
		if err := rows.Scan(&hash, &domain, &brandID); err != nil {
			return fmt.Errorf("read entries: %w", err)
		}
		if domain != "" {
			args = append(args, domainMember(domain, brandID))
		} else {
			args = append(args, addressMember(hash, brandID))
		}
		if len(args) > rebuildChunk {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read entries: %w", err)
	}
	if len(args) > 1 {
		return send()
	}
	return nil
}
