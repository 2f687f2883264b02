package tracking

import (
	"net/netip"
	"slices"
	"time"

	"github.com/kirje/kirje/events"
)

// Signals stored on events (events.Event.Signals). Strong signals set Machine on their own;
// weak ones are kept as evidence for reports but never decide.
const (
	// Strong.
	SignalHead         = "head"          // a HEAD request: link checkers and scanners, never a person's click
	SignalHoneypot     = "honeypot"      // the hidden honeypot link was followed
	SignalNearHoneypot = "near_honeypot" // a click soon after this message's honeypot was followed
	SignalBurst        = "burst"         // many distinct links of one message within BurstWindow
	SignalFast         = "fast"          // a click sooner after sending than a person can manage
	SignalScanner      = "scanner_ua"    // a known scanner, crawler or HTTP library user agent
	SignalAppleProxy   = "apple_proxy"   // an open by Apple Mail Privacy Protection (bare "Mozilla/5.0")
	SignalGoogleProxy  = "google_proxy"  // an open through Gmail's image proxy
	SignalYahooProxy   = "yahoo_proxy"   // an open through Yahoo Mail's image proxy

	// Weak.
	SignalProxyIP = "proxy_ip" // the address is in MachineRules.ProxyNets
	SignalNoUA    = "no_ua"    // no user agent at all
)

// Defaults of MachineRules.
const (
	DefaultFastClick      = 5 * time.Second
	DefaultBurstWindow    = 2 * time.Second
	DefaultBurstLinks     = 3
	DefaultHoneypotWindow = 10 * time.Second
)

// maxBurstLinks is the most distinct links a recipient's history remembers.
const maxBurstLinks = 8

// defaultScannerAgents is never modified; DefaultScannerAgents hands out copies.
var defaultScannerAgents = []string{
	"headlesschrome", "phantomjs", // automated browsers (sandbox detonation)
	"bingpreview",                         // Microsoft link preview (Safe Links)
	"barracuda", "mimecast", "proofpoint", // mail security gateways that name themselves
	"bot/", "spider", "crawler", "scanner", // generic crawlers ("bot/" spares phone models like Cubot)
	"python-requests", "python-urllib", "go-http-client", "curl/", "wget/", "libwww-perl",
	"java/", "apache-httpclient", // HTTP libraries: no person clicks with these
}

// DefaultScannerAgents returns the user-agent substrings (lower case) that mark a request as a
// scanner by default. Scanners that imitate browsers are caught by the other signals.
func DefaultScannerAgents() []string { return slices.Clone(defaultScannerAgents) }

// MachineRules tunes Classify. Zero fields take the defaults; a negative duration turns its
// signal off.
type MachineRules struct {
	FastClick      time.Duration // clicks sooner than this after the token's send time are "fast"
	BurstWindow    time.Duration // window in which BurstLinks distinct links make a "burst"
	BurstLinks     int           // distinct links of one message within BurstWindow (2..8)
	HoneypotWindow time.Duration // clicks this soon after a honeypot hit are "near_honeypot"
	ScannerAgents  []string      // case-insensitive substrings; nil means DefaultScannerAgents
	// ProxyNets are networks whose hits get the weak "proxy_ip" signal, e.g. a summary of
	// Apple's Private Relay egress ranges. They are scanned linearly on every hit: keep the list
	// to tens of prefixes (Apple Mail's prefetches are caught by their bare user agent anyway).
	ProxyNets []netip.Prefix
}

func (m MachineRules) withDefaults() MachineRules {
	if m.FastClick == 0 {
		m.FastClick = DefaultFastClick
	}
	if m.BurstWindow == 0 {
		m.BurstWindow = DefaultBurstWindow
	}
	if m.BurstLinks == 0 {
		m.BurstLinks = DefaultBurstLinks
	}
	m.BurstLinks = min(max(m.BurstLinks, 2), maxBurstLinks)
	if m.HoneypotWindow == 0 {
		m.HoneypotWindow = DefaultHoneypotWindow
	}
	if m.ScannerAgents == nil {
		m.ScannerAgents = defaultScannerAgents
	}
	return m
}

// Hit is one fetch of a tracking URL, as Classify sees it.
type Hit struct {
	Type      events.Type // events.Open or events.Click
	Method    string
	UserAgent string
	IP        netip.Addr // the full address, before any truncation
	SentAt    time.Time  // from the token; zero when unknown
	At        time.Time
	Honeypot  bool // the link followed is a honeypot
	// RecentLinks is the number of distinct links of this message clicked within BurstWindow,
	// this one included (0 when not tracked, e.g. aggregate tokens).
	RecentLinks int
	// NearHoneypot: this message's honeypot was followed within HoneypotWindow before this hit.
	NearHoneypot bool
}

// Verdict is Classify's answer: the signals found and whether any of them is strong.
type Verdict struct {
	Machine bool
	Signals []string
}
