package tracking_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/token"
	"github.com/kirje/kirje/tracking"
)

// These are small in-memory implementations of tracking's own interfaces, faithful to their
// contracts (durable-or-error, committed-or-error, ErrNotFound for unknown rows). End-to-end
// tests with the real events.Recorder and optout service live with the wiring in cmd/.

// memRecorder keeps recorded events; with fail set, Record fails and keeps nothing.
type memRecorder struct {
	mu       sync.Mutex
	events   []events.Event
	fail     error
	onRecord func() // called as the event becomes durable
}

func (m *memRecorder) Record(ctx context.Context, ev events.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.onRecord != nil {
		m.onRecord()
	}
	if m.fail != nil {
		return m.fail
	}
	if ev.Type == "" {
		return fmt.Errorf("event has no type")
	}
	m.events = append(m.events, ev)
	return nil
}

func (m *memRecorder) all() []events.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]events.Event(nil), m.events...)
}

// memLinks is a campaign_links table; calls counts lookups.
type memLinks struct {
	links map[[2]int64]memLink
	fail  error
	calls atomic.Int64
}

type memLink struct {
	url      string
	honeypot bool
}

func (m *memLinks) Link(ctx context.Context, campaignID int64, linkID int) (string, bool, error) {
	m.calls.Add(1)
	if m.fail != nil {
		return "", false, m.fail
	}
	l, ok := m.links[[2]int64{campaignID, int64(linkID)}]
	if !ok {
		return "", false, fmt.Errorf("campaign %d link %d: %w", campaignID, linkID, tracking.ErrNotFound)
	}
	return l.url, l.honeypot, nil
}

// memOptouts is a suppression list keyed by contact: scope "all" or "brand:ID".
type memOptouts struct {
	mu         sync.Mutex
	recipients *memRecipients
	suppressed map[int64]map[string]bool
	requests   []string // "unsubscribe|undo contact scope source"
	last       tracking.OptoutRequest
	fail       error
	onCommit   func() // called as the change commits
}

func (m *memOptouts) apply(r tracking.OptoutRequest, add bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.onCommit != nil {
		m.onCommit()
	}
	if m.fail != nil {
		return m.fail
	}
	rcpt, err := m.recipients.Recipient(context.Background(), r.CampaignID, r.ContactID)
	if err != nil {
		return err
	}
	entry := r.Scope
	if r.Scope == tracking.ScopeBrand {
		entry = fmt.Sprintf("brand:%d", rcpt.BrandID)
	}
	if m.suppressed[r.ContactID] == nil {
		m.suppressed[r.ContactID] = map[string]bool{}
	}
	verb := "unsubscribe"
	if add {
		m.suppressed[r.ContactID][entry] = true
	} else {
		if !m.suppressed[r.ContactID][entry] {
			return fmt.Errorf("mem: %w", tracking.ErrNothingToUndo)
		}
		verb = "undo"
		delete(m.suppressed[r.ContactID], entry)
	}
	m.requests = append(m.requests, fmt.Sprintf("%s %d %s %s", verb, r.ContactID, r.Scope, r.Source))
	m.last = r
	return nil
}

func (m *memOptouts) Unsubscribe(_ context.Context, r tracking.OptoutRequest) error {
	return m.apply(r, true)
}
func (m *memOptouts) Undo(_ context.Context, r tracking.OptoutRequest) error {
	return m.apply(r, false)
}

func (m *memOptouts) log() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.requests...)
}

func (m *memOptouts) entries(contact int64) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for e := range m.suppressed[contact] {
		out = append(out, e)
	}
	return out
}

// memRecipients knows contacts per campaign.
type memRecipients struct {
	byKey map[[2]int64]tracking.Recipient
	fail  error
}

func (m *memRecipients) Recipient(_ context.Context, campaignID, contactID int64) (tracking.Recipient, error) {
	if m.fail != nil {
		return tracking.Recipient{}, m.fail
	}
	r, ok := m.byKey[[2]int64{campaignID, contactID}]
	if !ok {
		return tracking.Recipient{}, fmt.Errorf("contact %d: %w", contactID, tracking.ErrNotFound)
	}
	return r, nil
}

// clock is a settable time source.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Fixture data: campaign 10 (brand 3) has links 1–3 and honeypot 9; campaign 20 has link 5.
const (
	campaignA, campaignB = 10, 20
	contactAnna          = 100
	landing              = "https://shop.example.fi/offer?utm_source=kirje"
)

var sent = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

type fixture struct {
	h          http.Handler
	keys       *token.Keyring
	links      token.Links
	rec        *memRecorder
	linkStore  *memLinks
	optouts    *memOptouts
	recipients *memRecipients
	clock      *clock
	logs       *strings.Builder
}

func setup(t testing.TB, adjust ...func(*tracking.Config)) *fixture {
	t.Helper()
	keys, err := token.NewKeyring(1, map[byte][]byte{1: []byte("test-secret-test-secret-test-secret!")})
	require.NoError(t, err)
	base, err := url.Parse("https://t.example.fi")
	require.NoError(t, err)
	f := &fixture{keys: keys, links: token.Links{Base: base, Keys: keys}, rec: &memRecorder{}, clock: &clock{},
		logs: &strings.Builder{}}
	f.clock.Set(sent.Add(time.Hour))
	f.linkStore = &memLinks{links: map[[2]int64]memLink{
		{campaignA, 1}: {url: landing}, {campaignA, 2}: {url: "https://example.fi/2"},
		{campaignA, 3}: {url: "https://example.fi/3"}, {campaignA, 9}: {url: "https://example.fi/trap", honeypot: true},
		{campaignB, 5}: {url: "https://other.example/5"},
	}}
	f.recipients = &memRecipients{byKey: map[[2]int64]tracking.Recipient{
		{campaignA, contactAnna}: {Email: "anna.virtanen@yritys.fi", BrandID: 3, BrandName: "Kahvila <Aroma>"},
		{campaignB, contactAnna}: {Email: "anna.virtanen@yritys.fi"},
	}}
	f.optouts = &memOptouts{recipients: f.recipients, suppressed: map[int64]map[string]bool{}}
	cfg := tracking.Config{Keys: keys, Recorder: f.rec, Links: f.linkStore, Optouts: f.optouts,
		Recipients: f.recipients, Now: f.clock.Now,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{b: f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, a := range adjust {
		a(&cfg)
	}
	h, err := tracking.New(cfg)
	require.NoError(t, err)
	f.h = h
	return f
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// recipient returns the URLs of campaign A's message to Anna.
func (f *fixture) recipient(level string) token.Recipient {
	return f.links.ForRecipient(campaignA, contactAnna, sent, level)
}

// do serves one request and returns the response.
func (f *fixture) do(method, target string, body string, header ...string) *httptest.ResponseRecorder {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	r.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// path returns the path (and query) of an absolute tracking URL.
func path(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.RequestURI()
}
