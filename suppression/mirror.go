package suppression

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// mirrorWriteScript applies SADD or SREM (ARGV[1]) of members (ARGV[3..]) to the live set and,
// while a rebuild runs, to the rebuild's temporary set too, named by the rebuild lock's value.
// Doing both in one script is what keeps a write that lands during a rebuild from being
// overwritten when the rebuild renames its set over the live one. ARGV[2] is the TTL (ms) kept
// on the temporary set, so a crashed rebuilder leaves nothing behind for long.
var mirrorWriteScript = redis.NewScript(`
local function apply(key)
  for i = 3, #ARGV, 1000 do
    redis.call(ARGV[1], key, unpack(ARGV, i, math.min(i + 999, #ARGV)))
  end
end
apply(KEYS[1])
local tmp = redis.call('GET', KEYS[2])
if tmp then
  apply(tmp)
  redis.call('PEXPIRE', tmp, ARGV[2])
end
return 1`)

// mirrorAdd adds members to the mirror. It must run before the transaction that inserted their
// rows commits (see doc.go).
func (l *List) mirrorAdd(ctx context.Context, members ...string) error {
	return l.mirrorWrite(ctx, "SADD", members)
}

// mirrorRemove removes members from the mirror. It must run after the deleting transaction
// committed: a failure then leaves over-suppression, never under-suppression.
func (l *List) mirrorRemove(ctx context.Context, members ...string) error {
	return l.mirrorWrite(ctx, "SREM", members)
}

func (l *List) mirrorWrite(ctx context.Context, op string, members []string) error {
	if len(members) == 0 {
		return nil
	}
	args := make([]any, 0, len(members)+2)
	args = append(args, op, l.cfg.LockTTL.Milliseconds())
	for _, m := range members {
		args = append(args, m)
	}
	err := mirrorWriteScript.Run(ctx, l.rdb, []string{l.keys.set, l.keys.lock}, args...).Err()
	if err != nil {
		return fmt.Errorf("%w: mirror %s: %w", ErrUnavailable, op, err)
	}
	return nil
}
