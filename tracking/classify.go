package tracking

import (
	"net/http"
	"strings"

	"github.com/kirje/kirje/events"
)

// appleProxyUA is the whole user agent Apple Mail Privacy Protection sends: no browser sends
// this bare string.
const appleProxyUA = "Mozilla/5.0"

// Classify returns the machine-traffic signals of a hit and whether it counts as machine
// traffic (any strong signal). It is pure: burst and honeypot history come in the Hit.
func (m MachineRules) Classify(h Hit) Verdict {
	m = m.withDefaults()
	var v Verdict
	add := func(signal string, strong bool) {
		v.Signals = append(v.Signals, signal)
		v.Machine = v.Machine || strong
	}
	if h.Method == http.MethodHead {
		add(SignalHead, true)
	}
	m.classifyAgent(h, add)
	if h.IP.IsValid() && m.inProxyNets(h) {
		add(SignalProxyIP, false)
	}
	if h.Type != events.Click {
		return v
	}
	if h.Honeypot {
		add(SignalHoneypot, true)
	}
	if h.NearHoneypot && m.HoneypotWindow > 0 {
		add(SignalNearHoneypot, true)
	}
	if m.BurstWindow > 0 && h.RecentLinks >= m.BurstLinks {
		add(SignalBurst, true)
	}
	// A negative delay (the tracker's clock behind the sender's) is no person either.
	if m.FastClick > 0 && !h.SentAt.IsZero() && h.At.Sub(h.SentAt) < m.FastClick {
		add(SignalFast, true)
	}
	return v
}

// classifyAgent adds the user-agent signals.
func (m MachineRules) classifyAgent(h Hit, add func(string, bool)) {
	ua := strings.TrimSpace(h.UserAgent)
	switch {
	case ua == "":
		add(SignalNoUA, false)
		return
	case ua == appleProxyUA && h.Type == events.Open:
		add(SignalAppleProxy, true)
		return
	case ua == appleProxyUA:
		add(SignalScanner, true) // a bare UA on a click is a script, not Apple's image proxy
		return
	}
	lower := strings.ToLower(ua)
	if h.Type == events.Open {
		switch {
		case strings.Contains(lower, "googleimageproxy"):
			add(SignalGoogleProxy, true)
			return
		case strings.Contains(lower, "yahoomailproxy"):
			add(SignalYahooProxy, true)
			return
		}
	}
	for _, agent := range m.ScannerAgents {
		if agent != "" && strings.Contains(lower, strings.ToLower(agent)) {
			add(SignalScanner, true)
			return
		}
	}
}

func (m MachineRules) inProxyNets(h Hit) bool {
	for _, p := range m.ProxyNets {
		if p.Contains(h.IP) {
			return true
		}
	}
	return false
}
