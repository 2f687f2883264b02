package tracking

import (
	"sync"
	"time"
)

// recentClicks remembers, per (campaign, contact), the last few clicks and the last honeypot
// hit, so that a click can be told it is part of a burst or follows a honeypot. It is bounded
// and in-process: several tracking processes each see only their share of a burst.
type recentClicks struct {
	mu             sync.Mutex
	max            int
	burstWindow    time.Duration
	honeypotWindow time.Duration
	keep           time.Duration // a history older than this can say nothing
	m              map[recipientKey]*clickHistory
}

type recipientKey struct{ campaign, contact int64 }

// clickHistory is a ring of the last maxBurstLinks clicks.
type clickHistory struct {
	links      [maxBurstLinks]int32
	at         [maxBurstLinks]int64 // unix nanoseconds
	n          int                  // clicks seen; the next goes to n % maxBurstLinks
	honeypotAt int64                // 0 when none
	last       int64
}

func newRecentClicks(size int, rules MachineRules) *recentClicks {
	if size <= 0 {
		size = 65536
	}
	return &recentClicks{
		max:            size,
		burstWindow:    rules.BurstWindow,
		honeypotWindow: rules.HoneypotWindow,
		keep:           max(rules.BurstWindow, rules.HoneypotWindow),
		m:              make(map[recipientKey]*clickHistory),
	}
}

// observe records a click of link by a recipient at at and returns how many distinct links of
// the message were clicked within the burst window (this one included) and whether the message's
// honeypot was followed within the honeypot window before it.
func (rc *recentClicks) observe(campaign, contact int64, link int, honeypot bool, at time.Time) (recent int, nearHoneypot bool) {
	now := at.UnixNano()
	key := recipientKey{campaign, contact}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	h := rc.m[key]
	if h == nil {
		rc.makeRoom(now)
		h = &clickHistory{}
		rc.m[key] = h
	}
	nearHoneypot = !honeypot && h.honeypotAt != 0 && now >= h.honeypotAt && now-h.honeypotAt <= int64(rc.honeypotWindow)
	if honeypot {
		h.honeypotAt = now
	}
	i := h.n % maxBurstLinks
	h.links[i], h.at[i], h.last = int32(link), now, now
	h.n++
	return h.distinctSince(now - int64(rc.burstWindow)), nearHoneypot
}

// distinctSince counts the distinct links clicked at or after since.
func (h *clickHistory) distinctSince(since int64) int {
	var seen [maxBurstLinks]int32
	n := 0
next:
	for i := range min(h.n, maxBurstLinks) {
		if h.at[i] < since {
			continue
		}
		for _, l := range seen[:n] {
			if l == h.links[i] {
				continue next
			}
		}
		seen[n] = h.links[i]
		n++
	}
	return n
}

// makeRoom keeps the map under its bound: first by dropping histories too old to matter, then,
// if every one is fresh (a flood), by dropping an arbitrary eighth. Either way the cost is
// amortised over the inserts that filled the map.
func (rc *recentClicks) makeRoom(now int64) {
	if len(rc.m) < rc.max {
		return
	}
	for k, h := range rc.m {
		if now-h.last > int64(rc.keep) {
			delete(rc.m, k)
		}
	}
	for k := range rc.m {
		if len(rc.m) <= rc.max-rc.max/8-1 {
			break
		}
		delete(rc.m, k)
	}
}
