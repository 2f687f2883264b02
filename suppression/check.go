package suppression

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Check says whether a marketing message for brandID (0: no brand) may go to address. The worker
// calls it immediately before every SMTP transaction. It costs one Redis command (SMISMEMBER):
// the mirror's ready marker and the address's hash and domain in every scope that applies.
// Concurrent Checks share that command (see combiner), but each answer is read from Redis after
// its Check began: an entry added before the call is always seen.
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
	l.stats.checks.Add(1)
	var buf [4]string
	var found [4]bool
	members := checkMembers(buf[:0], brandID, n)
	if err := l.combined(ctx, members, found[:]); err != nil {
		return Verdict{}, fmt.Errorf("suppression: check: %w", err)
	}
	v := verdictOf(found[:len(members)])
	if v.Suppressed {
		l.stats.suppressed.Add(1)
	}
	return v, nil
}

// CheckMany is Check for many addresses in one round trip, for previews and imports; the send
// path uses Check right before each message instead. Verdicts are in the order of addrs. Any
// address that cannot be normalised fails the whole call with an error wrapping ErrInvalid.
func (l *List) CheckMany(ctx context.Context, brandID int64, addrs []string) ([]Verdict, error) {
	per := checkMembersPer(brandID)
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
	l.stats.checks.Add(1)
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

// lookup asks, in one SMISMEMBER, for the ready marker of the Redis process the List believes
// it talks to and for members. If the command reached another process (Redis restarted), it did
// so on a new connection, whose OnConnect hook recorded the new run_id before the command was
// sent: so a run_id that changed during the call means the answer cannot be trusted.
func (l *List) lookup(ctx context.Context, members []string) ([]bool, error) {
	l.stats.lookups.Add(1)
	runID := l.currentRunID()
	if runID == "" { // no connection yet: make one, which records the run_id
		if err := l.rdb.Ping(ctx).Err(); err != nil {
			return nil, l.unavailable(fmt.Errorf("%w: %w", ErrUnavailable, err))
		}
		runID = l.currentRunID()
	}
	args := make([]any, 1, len(members)+1)
	args[0] = readyMember(runID)
	for _, m := range members {
		args = append(args, m)
	}
	found, err := l.rdb.SMIsMember(ctx, l.keys.set, args...).Result()
	if err != nil || len(found) != len(args) {
		return nil, l.unavailable(fmt.Errorf("%w: SMISMEMBER: %v", ErrUnavailable, err))
	}
	if now := l.currentRunID(); !found[0] || now != runID {
		l.requestVerify()
		return nil, l.unavailable(fmt.Errorf("%w: mirror not built for this Redis process (run_id %s)",
			ErrUnavailable, now))
	}
	return found[1:], nil
}

// checkGroup is the Checks that share one lookup.
type checkGroup struct {
	members []string
	found   []bool
	err     error
	done    chan struct{} // closed when found and err are set
}

// combiner lets concurrent Checks share one SMISMEMBER, as a group commit shares a commit. At
// most one lookup is in flight. The first Check to arrive starts a group. If no lookup is in
// flight it sends the group at once, itself; otherwise a goroutine waits for the lookup in
// flight and then sends it, while Checks arriving meanwhile join the group. Every member of a
// group is looked up after its Check began. A Check waiting behind the lookup in flight gives up
// when its context ends, without holding up the others; a Check whose own group is being looked
// up waits for that round trip, which lookupTimeout bounds. With the worker's ten or twenty
// senders, Redis and the worker spend one command and one round trip of system calls on a few
// messages rather than on each; a Check waits at most for the lookup in flight and then its own.
type combiner struct {
	inFlight chan struct{} // holds a token while a lookup is in flight

	mu      sync.Mutex
	filling *checkGroup // the group Checks join; nil until the next Check starts one
	joined  uint64      // Checks that joined a group, for tests
}

// lookupTimeout bounds a group's lookup, whatever the Redis client's own timeouts (New makes the
// client honour context deadlines).
const lookupTimeout = 10 * time.Second

// combined looks members up, sharing the lookup with concurrent callers, and writes the answers
// to found (len(members) of them). It returns when the answers are in or ctx ends.
func (l *List) combined(ctx context.Context, members []string, found []bool) error {
	c := &l.combine
	c.mu.Lock()
	g, started := c.filling, false
	if g == nil {
		g, started = &checkGroup{done: make(chan struct{})}, true
		c.filling = g
	}
	from := len(g.members)
	g.members = append(g.members, members...)
	c.joined++
	c.mu.Unlock()
	if started {
		select {
		case c.inFlight <- struct{}{}: // nothing in flight: send the group now
			l.lookUpGroup(g)
		default:
			go func() {
				c.inFlight <- struct{}{}
				l.lookUpGroup(g)
			}()
		}
	}
	select {
	case <-g.done:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
	if g.err != nil {
		return g.err
	}
	copy(found, g.found[from:from+len(members)])
	return nil
}

// lookUpGroup closes g to newcomers and looks its members up, holding the in-flight token, which
// it releases.
func (l *List) lookUpGroup(g *checkGroup) {
	c := &l.combine
	defer func() { <-c.inFlight }()
	defer close(g.done)
	c.mu.Lock()
	c.filling = nil // g: only the latest group can be filling
	members := g.members
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	// Should lookup panic and the panic be recovered above a Check, the group fails closed.
	g.err = fmt.Errorf("suppression: %w: the lookup did not complete", ErrUnavailable)
	g.found, g.err = l.lookup(ctx, members)
}

func (l *List) unavailable(err error) error {
	l.stats.unavailable.Add(1)
	return err
}
