package tracking_test

import (
	"bytes"
	"errors"
	"image/gif"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/token"
	"github.com/kirje/kirje/tracking"
)

func TestOpenServesPixelAndRecords(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.do(http.MethodGet, path(t, f.recipient(token.LevelIndividual).Open()), "")

	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "image/gif", w.Header().Get("Content-Type"))
	assert.Equal(t, "no-store, no-cache, must-revalidate, private", w.Header().Get("Cache-Control"))
	assert.Equal(t, "43", w.Header().Get("Content-Length"))
	require.Equal(t, 43, w.Body.Len())
	img, err := gif.Decode(bytes.NewReader(w.Body.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, 1, img.Bounds().Dx())
	assert.Equal(t, 1, img.Bounds().Dy())
	_, _, _, alpha := img.At(0, 0).RGBA()
	assert.Zero(t, alpha, "the pixel is transparent")

	evs := f.rec.all()
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, events.Open, ev.Type)
	assert.EqualValues(t, campaignA, ev.CampaignID)
	assert.EqualValues(t, contactAnna, ev.ContactID)
	assert.Equal(t, f.clock.Now(), ev.OccurredAt)
	assert.Equal(t, "192.0.2.1", ev.IP)
	assert.Contains(t, ev.UserAgent, "Chrome/130.0")
	assert.False(t, ev.Machine)
	assert.Empty(t, ev.Signals)
}

func TestOpenAggregateNamesNoContact(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.do(http.MethodGet, path(t, f.recipient(token.LevelAggregate).Open()), "")
	require.Equal(t, http.StatusOK, w.Code)
	evs := f.rec.all()
	require.Len(t, evs, 1)
	assert.EqualValues(t, campaignA, evs[0].CampaignID)
	assert.Zero(t, evs[0].ContactID)
}

func TestOpenHeadAndProxiesAreMachine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, ua string
		signal           string
	}{
		{"HEAD", http.MethodHead, "Mozilla/5.0 (Macintosh) Safari/605.1.15", tracking.SignalHead},
		{"Apple MPP", http.MethodGet, "Mozilla/5.0", tracking.SignalAppleProxy},
		{"Gmail proxy", http.MethodGet, "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", tracking.SignalGoogleProxy},
		{"Yahoo proxy", http.MethodGet, "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html", tracking.SignalYahooProxy},
		{"scanner", http.MethodGet, "python-requests/2.31", tracking.SignalScanner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			w := f.do(tt.method, path(t, f.recipient(token.LevelIndividual).Open()), "", "User-Agent", tt.ua)
			require.Equal(t, http.StatusOK, w.Code)
			if tt.method == http.MethodHead {
				assert.Equal(t, "43", w.Header().Get("Content-Length"))
			}
			evs := f.rec.all()
			require.Len(t, evs, 1)
			assert.True(t, evs[0].Machine)
			assert.Contains(t, evs[0].Signals, tt.signal)
		})
	}
}

// An open that is not durable is not acknowledged: the reader still gets the same transparent
// pixel (nothing breaks in the mail client), but with 503, and no event is claimed.
func TestOpenRecordFailureIsNotAcknowledged(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.rec.fail = errors.New("redis: connection refused")
	w := f.do(http.MethodGet, path(t, f.recipient(token.LevelIndividual).Open()), "")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "image/gif", w.Header().Get("Content-Type"))
	assert.Equal(t, 43, w.Body.Len())
	assert.Empty(t, f.rec.all())
	assert.Contains(t, f.logs.String(), "open not recorded")
	assert.NotContains(t, w.Body.String(), "redis")
}

func TestForgedTokensGet404AndRecordNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r := f.recipient(token.LevelIndividual)
	open, click, unsub := path(t, r.Open()), path(t, r.Click(1)), path(t, r.Unsubscribe())
	otherKeys, err := token.NewKeyring(1, map[byte][]byte{1: []byte("another-secret-another-secret-xyz")})
	require.NoError(t, err)
	forged := token.Links{Base: f.links.Base, Keys: otherKeys}.ForRecipient(campaignA, contactAnna, sent, token.LevelIndividual)
	alter := func(p string) string { // change one character of the token
		last := p[len(p)-5]
		repl := "A"
		if last == 'A' {
			repl = "B"
		}
		return p[:len(p)-5] + repl + p[len(p)-4:]
	}
	tests := []struct{ name, method, target, body string }{
		{"open garbage", "GET", "/o/garbage", ""},
		{"open empty", "GET", "/o/", ""},
		{"open truncated", "GET", open[:len(open)-3], ""},
		{"open altered", "GET", alter(open), ""},
		{"open with trailing", "GET", open + "A", ""},
		{"open forged key", "GET", path(t, forged.Open()), ""},
		{"click token as open", "GET", "/o/" + strings.TrimPrefix(click, "/c/"), ""},
		{"open with a second segment", "GET", open + "/x", ""},
		{"open token below a second segment", "GET", "/o/x" + strings.TrimPrefix(open, "/o"), ""},
		{"click empty", "GET", "/c/", ""},
		{"click with a second segment", "GET", click + "/x", ""},
		{"click truncated", "GET", click[:len(click)-1], ""},
		{"click altered", "GET", alter(click), ""},
		{"click forged key", "GET", path(t, forged.Click(1)), ""},
		{"open token as click", "GET", "/c/" + strings.TrimPrefix(open, "/o/"), ""},
		{"unsubscribe altered", "GET", alter(unsub), ""},
		{"one-click altered", "POST", alter(unsub), "List-Unsubscribe=One-Click"},
		{"one-click forged", "POST", path(t, forged.OneClick()), "List-Unsubscribe=One-Click"},
		{"one-click with open token", "POST", "/u/" + strings.TrimPrefix(open, "/o/"), "List-Unsubscribe=One-Click"},
	}
	for _, tt := range tests {
		w := f.do(tt.method, tt.target, tt.body, "Content-Type", "application/x-www-form-urlencoded")
		assert.Equal(t, http.StatusNotFound, w.Code, tt.name)
		assert.Empty(t, w.Header().Get("Location"), tt.name)
	}
	assert.Empty(t, f.rec.all(), "nothing recorded")
	assert.Empty(t, f.optouts.log(), "nobody unsubscribed")
	assert.Zero(t, f.linkStore.calls.Load(), "a forged click never reaches the link store")
}

func TestClientAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		trust, truncate   bool
		remote, forwarded string
		want              string
	}{
		{name: "peer address", remote: "198.51.100.7:4000", forwarded: "203.0.113.9", want: "198.51.100.7"},
		{name: "trusted proxy, last entry", trust: true, remote: "10.0.0.1:4000",
			forwarded: "1.2.3.4, 203.0.113.9", want: "203.0.113.9"},
		{name: "trusted proxy, unparsable header", trust: true, remote: "10.0.0.1:4000",
			forwarded: "unknown", want: "10.0.0.1"},
		{name: "truncated IPv4", truncate: true, remote: "198.51.100.7:4000", want: "198.51.100.0"},
		{name: "truncated IPv6", truncate: true, remote: "[2001:db8:1234:5678::1]:4000", want: "2001:db8:1234::"},
		{name: "4in6 unmapped", remote: "[::ffff:198.51.100.7]:4000", want: "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, func(c *tracking.Config) { c.TrustProxy, c.TruncateIP = tt.trust, tt.truncate })
			req, err := http.NewRequest(http.MethodGet, f.recipient(token.LevelIndividual).Open(), nil)
			require.NoError(t, err)
			req.RemoteAddr = tt.remote
			if tt.forwarded != "" {
				req.Header.Set("X-Forwarded-For", tt.forwarded)
			}
			f.h.ServeHTTP(newDiscard(), req)
			evs := f.rec.all()
			require.Len(t, evs, 1)
			assert.Equal(t, tt.want, evs[0].IP)
		})
	}
}

// Opens and clicks are routed by hand on their fast path: other methods get what the router
// answers, 405 with the allowed methods, and nothing is recorded.
func TestTrackingMethods(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r := f.recipient(token.LevelIndividual)
	for _, target := range []string{path(t, r.Open()), path(t, r.Click(1))} {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			w := f.do(method, target, "")
			assert.Equal(t, http.StatusMethodNotAllowed, w.Code, method+" "+target)
			assert.Equal(t, "GET, HEAD", w.Header().Get("Allow"), method+" "+target)
		}
		w := f.do(http.MethodHead, target, "")
		assert.Less(t, w.Code, 400, "HEAD "+target)
	}
	for _, ev := range f.rec.all() {
		assert.True(t, ev.Machine, "only the HEAD requests were recorded, as machine traffic")
	}
	assert.Len(t, f.rec.all(), 2)
}
