package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/register"
)

// The tracking endpoint against the real stack (PostgreSQL, Redis, the event ingester): forged
// tokens and open-redirect attempts get nothing, GET and HEAD on an unsubscribe link change
// nothing, and a one-click POST suppresses the address at once.
func TestTrackingAgainstTheRealStack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStack(t, smtptest.Options{Discard: true})
	app, srv := s.startApp(t)
	brand := fixture.Brand(t, s.db.Pool, "acme")
	contact := fixture.Contact(t, s.db.Pool, "tiina@corp.example", "Buyer")
	c := fixture.Campaign(t, s.db.Pool, brand, "")
	urls := app.links.ForRecipient(c.ID, contact.ID, time.Now().Add(-time.Hour), register.TrackingIndividual)
	local := func(u string) string { return srv.URL + strings.TrimPrefix(u, "https://t.kirje.test") }
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, u, body string) *http.Response {
		req, err := http.NewRequest(method, u, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Thunderbird/128.0")
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	suppressed := func() bool {
		v, err := app.supp.Check(ctx, brand.ID, contact.Email)
		require.NoError(t, err)
		return v.Suppressed
	}

	open, click, unsub := local(urls.Open()), local(urls.Click(2)), local(urls.Unsubscribe())
	forged := open[:len(open)-1] + map[bool]string{true: "A", false: "B"}[!strings.HasSuffix(open, "A")]
	assert.Equal(t, http.StatusNotFound, do("GET", forged, "").StatusCode, "forged token")
	assert.Equal(t, http.StatusNotFound, do("GET", open[:len(open)-6], "").StatusCode, "truncated token")

	assert.Equal(t, http.StatusOK, do("GET", open, "").StatusCode)
	resp := do("GET", click+"?url=https://evil.example/", "")
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "https://shop.example/offer", resp.Header.Get("Location"), "the stored URL, whatever the request says")
	assert.Equal(t, http.StatusNotFound, do("GET", srv.URL+"//evil.example/c/x", "").StatusCode)

	for _, method := range []string{"GET", "HEAD"} {
		assert.Equal(t, http.StatusOK, do(method, unsub, "").StatusCode, method)
		assert.False(t, suppressed(), "%s on an unsubscribe link must change nothing", method)
	}
	assert.Equal(t, http.StatusOK, do("POST", unsub, "List-Unsubscribe=One-Click").StatusCode)
	assert.True(t, suppressed(), "a one-click POST suppresses before it answers")

	// The acknowledged open and click reach PostgreSQL through the stream; the forged ones
	// never existed.
	require.Eventually(t, func() bool {
		var n int64
		_ = s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE campaign_id = $1 AND type IN ('open', 'click')`, c.ID).Scan(&n)
		return n == 2
	}, 10*time.Second, 20*time.Millisecond)
	var types []string
	rows, err := s.db.Pool.Query(ctx, `SELECT type FROM events WHERE contact_id = $1 ORDER BY id`, contact.ID)
	require.NoError(t, err)
	for rows.Next() {
		var typ string
		require.NoError(t, rows.Scan(&typ))
		types = append(types, typ)
	}
	require.NoError(t, rows.Err())
	assert.ElementsMatch(t, []string{string(events.Open), string(events.Click), string(events.SuppressionAdded), string(events.Unsubscribe)}, types)
}
