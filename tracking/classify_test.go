package tracking_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/tracking"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	relay := netip.MustParsePrefix("172.224.224.0/27")
	tests := []struct {
		name    string
		rules   tracking.MachineRules
		hit     tracking.Hit
		machine bool
		signals []string
	}{
		{name: "person opens", hit: tracking.Hit{Type: events.Open, Method: "GET", UserAgent: chrome}},
		{name: "person clicks", hit: tracking.Hit{Type: events.Click, Method: "GET", UserAgent: chrome,
			SentAt: at.Add(-time.Hour), At: at, RecentLinks: 1}},
		{name: "HEAD", hit: tracking.Hit{Type: events.Click, Method: "HEAD", UserAgent: chrome},
			machine: true, signals: []string{"head"}},
		{name: "Apple MPP open", hit: tracking.Hit{Type: events.Open, Method: "GET", UserAgent: "Mozilla/5.0"},
			machine: true, signals: []string{"apple_proxy"}},
		{name: "bare UA click is a script", hit: tracking.Hit{Type: events.Click, Method: "GET", UserAgent: "Mozilla/5.0"},
			machine: true, signals: []string{"scanner_ua"}},
		{name: "Gmail proxy open", hit: tracking.Hit{Type: events.Open, UserAgent: "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"},
			machine: true, signals: []string{"google_proxy"}},
		{name: "scanner, any case", hit: tracking.Hit{Type: events.Click, UserAgent: "Mozilla/5.0 HeadlessChrome/120"},
			machine: true, signals: []string{"scanner_ua"}},
		{name: "Cubot phone is no bot", hit: tracking.Hit{Type: events.Click, UserAgent: "Mozilla/5.0 (Linux; Android 12; CUBOT X50) Chrome/120"}},
		{name: "custom scanner list replaces defaults", rules: tracking.MachineRules{ScannerAgents: []string{"AcmeScan"}},
			hit:     tracking.Hit{Type: events.Click, UserAgent: "acmescan/1.0 python-requests"},
			machine: true, signals: []string{"scanner_ua"}},
		{name: "custom list: defaults no longer match", rules: tracking.MachineRules{ScannerAgents: []string{"AcmeScan"}},
			hit: tracking.Hit{Type: events.Click, UserAgent: "python-requests/2.31"}},
		{name: "no UA is weak", hit: tracking.Hit{Type: events.Open}, signals: []string{"no_ua"}},
		{name: "proxy range is weak", rules: tracking.MachineRules{ProxyNets: []netip.Prefix{relay}},
			hit:     tracking.Hit{Type: events.Open, UserAgent: chrome, IP: netip.MustParseAddr("172.224.224.5")},
			signals: []string{"proxy_ip"}},
		{name: "honeypot", hit: tracking.Hit{Type: events.Click, UserAgent: chrome, Honeypot: true},
			machine: true, signals: []string{"honeypot"}},
		{name: "near honeypot", hit: tracking.Hit{Type: events.Click, UserAgent: chrome, NearHoneypot: true},
			machine: true, signals: []string{"near_honeypot"}},
		{name: "burst", hit: tracking.Hit{Type: events.Click, UserAgent: chrome, RecentLinks: 3},
			machine: true, signals: []string{"burst"}},
		{name: "two links is no burst", hit: tracking.Hit{Type: events.Click, UserAgent: chrome, RecentLinks: 2}},
		{name: "burst threshold configurable", rules: tracking.MachineRules{BurstLinks: 2},
			hit:     tracking.Hit{Type: events.Click, UserAgent: chrome, RecentLinks: 2},
			machine: true, signals: []string{"burst"}},
		{name: "burst off", rules: tracking.MachineRules{BurstWindow: -1},
			hit: tracking.Hit{Type: events.Click, UserAgent: chrome, RecentLinks: 8}},
		{name: "fast click", hit: tracking.Hit{Type: events.Click, UserAgent: chrome, SentAt: at.Add(-4 * time.Second), At: at},
			machine: true, signals: []string{"fast"}},
		{name: "click before send time", hit: tracking.Hit{Type: events.Click, UserAgent: chrome, SentAt: at.Add(time.Second), At: at},
			machine: true, signals: []string{"fast"}},
		{name: "six seconds is not fast", hit: tracking.Hit{Type: events.Click, UserAgent: chrome, SentAt: at.Add(-6 * time.Second), At: at}},
		{name: "unknown send time", hit: tracking.Hit{Type: events.Click, UserAgent: chrome, At: at}},
		{name: "fast opens are not judged", hit: tracking.Hit{Type: events.Open, UserAgent: chrome, SentAt: at, At: at}},
		{name: "several signals", hit: tracking.Hit{Type: events.Click, Method: "HEAD", UserAgent: "curl/8.0", Honeypot: true},
			machine: true, signals: []string{"head", "scanner_ua", "honeypot"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := tt.rules.Classify(tt.hit)
			assert.Equal(t, tt.machine, v.Machine)
			assert.Equal(t, tt.signals, v.Signals)
		})
	}
}

func TestDefaultScannerAgentsIsACopy(t *testing.T) {
	t.Parallel()
	a := tracking.DefaultScannerAgents()
	a[0] = "changed"
	assert.NotEqual(t, "changed", tracking.DefaultScannerAgents()[0])
}
