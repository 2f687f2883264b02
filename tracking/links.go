package tracking

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// errBadTarget: the stored URL is not an absolute http(s) URL; the click is refused (404).
var errBadTarget = errors.New("tracking: stored link target is not an absolute http(s) URL")

// linkTarget is where a link sends people.
type linkTarget struct {
	url      string
	location []string // the Location header value, built once
	honeypot bool
}

type linkKey struct {
	campaign int64
	link     int
}

// linkCall is one resolver lookup that concurrent misses of the same link share.
type linkCall struct {
	done   chan struct{}
	target linkTarget
	err    error
}

// linkCache keeps link targets in memory: links do not change once sent, so a click costs a
// map lookup after the first. It is bounded; when full it drops an arbitrary eighth (any entry
// is as cheap to look up again as another). Unknown links are not cached: only a validly signed
// token can ask for one.
type linkCache struct {
	resolver LinkResolver
	max      int
	timeout  time.Duration // bounds one lookup
	mu       sync.RWMutex
	m        map[linkKey]linkTarget
	calls    map[linkKey]*linkCall
}

func newLinkCache(r LinkResolver, size int, timeout time.Duration) *linkCache {
	if size <= 0 {
		size = 65536
	}
	return &linkCache{resolver: r, max: size, timeout: timeout, m: make(map[linkKey]linkTarget), calls: make(map[linkKey]*linkCall)}
}

// get returns the target of a campaign's link, asking the resolver once per link however many
// requests miss at the same time.
func (c *linkCache) get(ctx context.Context, campaign int64, link int) (linkTarget, error) {
	key := linkKey{campaign, link}
	c.mu.RLock()
	t, ok := c.m[key]
	c.mu.RUnlock()
	if ok {
		return t, nil
	}
	c.mu.Lock()
	if t, ok := c.m[key]; ok {
		c.mu.Unlock()
		return t, nil
	}
	if call, ok := c.calls[key]; ok {
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.target, call.err
		case <-ctx.Done():
			return linkTarget{}, ctx.Err()
		}
	}
	call := &linkCall{done: make(chan struct{})}
	c.calls[key] = call
	c.mu.Unlock()

	call.target, call.err = c.resolve(ctx, key)
	c.mu.Lock()
	if call.err == nil {
		c.makeRoom()
		c.m[key] = call.target
	}
	delete(c.calls, key)
	c.mu.Unlock()
	close(call.done)
	return call.target, call.err
}

func (c *linkCache) resolve(ctx context.Context, key linkKey) (linkTarget, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	raw, honeypot, err := c.resolver.Link(ctx, key.campaign, key.link)
	if err != nil {
		return linkTarget{}, fmt.Errorf("tracking: link %d of campaign %d: %w", key.link, key.campaign, err)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return linkTarget{}, fmt.Errorf("link %d of campaign %d: %w", key.link, key.campaign, errBadTarget)
	}
	// The re-encoded form is a valid Location value even if the stored text has, say, spaces.
	target := u.String()
	return linkTarget{url: target, location: []string{target}, honeypot: honeypot}, nil
}

// makeRoom drops an arbitrary eighth of the entries when the cache is full. The caller holds mu.
func (c *linkCache) makeRoom() {
	if len(c.m) < c.max {
		return
	}
	for k := range c.m {
		if len(c.m) <= c.max-c.max/8-1 {
			return
		}
		delete(c.m, k)
	}
}
