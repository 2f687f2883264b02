package suppression

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Check says whether a marketing message for brandID (0: no brand) may go to address. The worker
// calls it immediately before every SMTP transaction. It costs one Redis round trip: the mirror's
// ready marker and the membership of the address's hash and domain in every scope that applies.
//
// It fails closed: when Redis cannot be reached, or the mirror is not built, or was built on a
// Redis process that has since restarted (its marker names another run_id), it returns an error
// wrapping ErrUnavailable, never a "not suppressed" verdict, and asks Run to rebuild. An address
// that cannot be normalised gives an error wrapping ErrInvalid.
func (l *List) Check(ctx context.Context, brandID int64, address string) (Verdict, error) {
	n, err := Normalize(address)
	if err != nil {
		return Verdict{}, fmt.Errorf("suppression: check: %w", err)
	}
	var buf [4]string
	found, err := l.lookup(ctx, checkMembers(buf[:0], brandID, n))
	if err != nil {
		return Verdict{}, fmt.Errorf("suppression: check: %w", err)
	}
	v := verdictOf(found)
	if v.Suppressed {
		l.stats.suppressed.Add(1)
	}
	return v, nil
}

// CheckMany is Check for many addresses in one round trip, for previews and imports; the send
// path uses Check right before each message instead. Verdicts are in the order of addrs. Any
// address that cannot be normalised fails the whole call with an error wrapping ErrInvalid.
func (l *List) CheckMany(ctx context.Context, brandID int64, addrs []string) ([]Verdict, error) {
	per := 2
	if brandID != 0 {
		per = 4
	}
	members := make([]string, 0, per*len(addrs))
	for i, a := range addrs {
		n, err := Normalize(a)
		if err != nil {
			return nil, fmt.Errorf("suppression: check many: address %d: %w", i, err)
		}
		members = checkMembers(members, brandID, n)
	}
	if len(addrs) == 0 {
		return nil, nil
	}
	found, err := l.lookup(ctx, members)
	if err != nil {
		return nil, fmt.Errorf("suppression: check many: %w", err)
	}
	out := make([]Verdict, len(addrs))
	for i := range out {
		out[i] = verdictOf(found[i*per : (i+1)*per])
	}
	return out, nil
}

// lookup asks, in one pipeline, for the ready marker and the membership of members. The marker
// is compared with the run_id recorded after the pipeline returned: a command that reached a
// restarted server did so on a new connection, whose OnConnect hook recorded the new run_id
// before the command was sent.
func (l *List) lookup(ctx context.Context, members []string) ([]bool, error) {
	l.stats.checks.Add(1)
	args := make([]any, len(members))
	for i, m := range members {
		args[i] = m
	}
	pipe := l.rdb.Pipeline()
	marker := pipe.Get(ctx, l.keys.ready)
	isMember := pipe.SMIsMember(ctx, l.keys.set, args...)
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, l.unavailable(fmt.Errorf("%w: %w", ErrUnavailable, err))
	}
	runID := l.currentRunID()
	if m := marker.Val(); m == "" || m != runID {
		l.requestVerify()
		return nil, l.unavailable(fmt.Errorf("%w: mirror not built for this Redis process (marker %q, run_id %q)",
			ErrUnavailable, m, runID))
	}
	found, err := isMember.Result()
	if err != nil || len(found) != len(members) {
		return nil, l.unavailable(fmt.Errorf("%w: SMISMEMBER: %v", ErrUnavailable, err))
	}
	return found, nil
}

func (l *List) unavailable(err error) error {
	l.stats.unavailable.Add(1)
	return err
}
