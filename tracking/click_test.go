package tracking_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/token"
	"github.com/kirje/kirje/tracking"
)

func TestClickRedirectsToStoredURL(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.do(http.MethodGet, path(t, f.recipient(token.LevelIndividual).Click(1)), "")

	require.Equal(t, http.StatusFound, w.Code)
	assert.Equal(t, landing, w.Header().Get("Location"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "no-referrer", w.Header().Get("Referrer-Policy"))
	evs := f.rec.all()
	require.Len(t, evs, 1)
	assert.Equal(t, events.Click, evs[0].Type)
	assert.EqualValues(t, campaignA, evs[0].CampaignID)
	assert.EqualValues(t, contactAnna, evs[0].ContactID)
	assert.Equal(t, 1, evs[0].LinkID)
	assert.False(t, evs[0].Machine, "signals: %v", evs[0].Signals)
}

func TestClickIsNeverAnOpenRedirect(t *testing.T) {
	t.Parallel()
	f := setup(t)
	click := path(t, f.recipient(token.LevelIndividual).Click(1))
	tok := strings.TrimPrefix(click, "/c/")
	// A valid token naming campaign A's link 5: only campaign B has a link 5.
	crossCampaign := path(t, f.recipient(token.LevelIndividual).Click(5))
	tests := []struct {
		name   string
		target string
		want   int
	}{
		{"query url parameter", click + "?url=https://evil.example/&redirect=//evil.example", http.StatusFound},
		{"fragment-like query", click + "?next=%2F%2Fevil.example", http.StatusFound},
		{"double slash before path", "//evil.example" + click, http.StatusNotFound},
		{"double slash in path", "/c//evil.example/" + tok, http.StatusNotFound},
		{"dot segments", "/c/../c/" + tok, http.StatusNotFound},
		{"trailing segment", click + "/https:/evil.example", http.StatusNotFound},
		{"encoded slash", "/c/%2F%2Fevil.example", http.StatusNotFound},
		{"other campaign's link id", crossCampaign, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(http.MethodGet, tt.target, "", "Referer", "https://evil.example/", "Host", "evil.example")
			assert.Equal(t, tt.want, w.Code)
			if loc := w.Header().Get("Location"); loc != "" {
				assert.Equal(t, landing, loc, "the only possible target is the stored URL")
			}
		})
	}
}

func TestClickHoneypot(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r := f.recipient(token.LevelIndividual)
	w := f.do(http.MethodGet, path(t, r.Click(9)), "")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, w.Header().Get("Location"), "a honeypot never redirects")
	assert.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))

	f.clock.Advance(5 * time.Second) // within the default 10 s, but outside the burst window
	w = f.do(http.MethodGet, path(t, r.Click(1)), "")
	assert.Equal(t, http.StatusFound, w.Code)

	f.clock.Advance(time.Minute)
	f.do(http.MethodGet, path(t, r.Click(2)), "")

	evs := f.rec.all()
	require.Len(t, evs, 3)
	assert.True(t, evs[0].Machine)
	assert.Equal(t, []string{tracking.SignalHoneypot}, evs[0].Signals)
	assert.True(t, evs[1].Machine, "a click right after the honeypot is the same scanner")
	assert.Equal(t, []string{tracking.SignalNearHoneypot}, evs[1].Signals)
	assert.False(t, evs[2].Machine, "a minute later it is judged on its own")
}

func TestClickBurstAndFastClicks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r := f.recipient(token.LevelIndividual)
	for _, link := range []int{1, 2, 1, 3} { // the third distinct link within 2 s is a burst
		f.do(http.MethodGet, path(t, r.Click(link)), "")
		f.clock.Advance(300 * time.Millisecond)
	}
	f.clock.Advance(3 * time.Second)
	f.do(http.MethodGet, path(t, r.Click(2)), "")

	// A message clicked one second after it was sent.
	f.clock.Set(sent.Add(time.Second))
	f.do(http.MethodGet, path(t, f.links.ForRecipient(campaignB, contactAnna, sent, token.LevelIndividual).Click(5)), "")

	evs := f.rec.all()
	require.Len(t, evs, 6)
	for i, want := range []bool{false, false, false, true, false, true} {
		assert.Equal(t, want, evs[i].Machine, "click %d: %v", i, evs[i].Signals)
	}
	assert.Equal(t, []string{tracking.SignalBurst}, evs[3].Signals)
	assert.Equal(t, []string{tracking.SignalFast}, evs[5].Signals)
}

func TestClickHeadIsMachineButStillRedirects(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.do(http.MethodHead, path(t, f.recipient(token.LevelIndividual).Click(2)), "")
	assert.Equal(t, http.StatusFound, w.Code)
	assert.Equal(t, "https://example.fi/2", w.Header().Get("Location"))
	evs := f.rec.all()
	require.Len(t, evs, 1)
	assert.True(t, evs[0].Machine)
	assert.Equal(t, []string{tracking.SignalHead}, evs[0].Signals)
}

func TestClickAggregate(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r := f.recipient(token.LevelAggregate)
	for _, link := range []int{1, 2, 3} { // shared tokens: no burst across different people
		assert.Equal(t, http.StatusFound, f.do(http.MethodGet, path(t, r.Click(link)), "").Code)
	}
	for _, ev := range f.rec.all() {
		assert.Zero(t, ev.ContactID)
		assert.False(t, ev.Machine)
	}
}

// A click that is not durable is not acknowledged with a redirect; the person gets a page with
// the same stored link instead.
func TestClickRecordFailure(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.rec.fail = errors.New("redis down")
	w := f.do(http.MethodGet, path(t, f.recipient(token.LevelIndividual).Click(1)), "")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Empty(t, w.Header().Get("Location"))
	assert.Contains(t, w.Body.String(), `href="https://shop.example.fi/offer?utm_source=kirje"`)
	assert.NotContains(t, w.Body.String(), "redis")
}

func TestClickLinkErrors(t *testing.T) {
	t.Parallel()
	t.Run("unknown link", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		assert.Equal(t, http.StatusNotFound, f.do(http.MethodGet, path(t, f.recipient(token.LevelIndividual).Click(77)), "").Code)
		assert.Empty(t, f.rec.all())
	})
	t.Run("store unavailable", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.linkStore.fail = errors.New("pg: too many connections")
		w := f.do(http.MethodGet, path(t, f.recipient(token.LevelIndividual).Click(1)), "")
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.NotContains(t, w.Body.String(), "pg:")
		assert.Empty(t, f.rec.all())
	})
	for _, bad := range []string{"javascript:alert(1)", "/relative", "//evil.example/x", "ftp://x.example/"} {
		t.Run("stored "+bad, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.linkStore.links[[2]int64{campaignA, 1}] = memLink{url: bad}
			w := f.do(http.MethodGet, path(t, f.recipient(token.LevelIndividual).Click(1)), "")
			assert.Equal(t, http.StatusNotFound, w.Code)
			assert.Empty(t, w.Header().Get("Location"))
		})
	}
}

func TestLinkCacheAsksOncePerLink(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r := f.recipient(token.LevelIndividual)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			assert.Equal(t, http.StatusFound, f.do(http.MethodGet, path(t, r.Click(1)), "").Code)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, f.linkStore.calls.Load())
	f.do(http.MethodGet, path(t, r.Click(2)), "")
	assert.EqualValues(t, 2, f.linkStore.calls.Load())
}

func TestLinkCacheIsBounded(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *tracking.Config) { c.LinkCacheSize = 2 })
	r := f.recipient(token.LevelIndividual)
	for _, link := range []int{1, 2, 3, 1, 2, 3} {
		require.Equal(t, http.StatusFound, f.do(http.MethodGet, path(t, r.Click(link)), "").Code)
	}
	// With room for two, the second round cannot be all hits.
	assert.Greater(t, f.linkStore.calls.Load(), int64(3))
}
