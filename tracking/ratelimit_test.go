package tracking_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/ratelimit"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/token"
	"github.com/kirje/kirje/tracking"
)

// limited sets up the handler with real Redis-backed limits, trusting X-Forwarded-For so a test
// can speak from several addresses.
func limited(t *testing.T, limits tracking.RateLimits) *fixture {
	t.Helper()
	rd := redistest.New(t)
	limits.Limiter = ratelimit.New(rd.Client, rd.Prefix)
	return setup(t, func(c *tracking.Config) { c.RateLimits = limits; c.TrustProxy = true })
}

// slow is a rate that refills too slowly to matter within a test.
func slow(burst int) tracking.Rate { return tracking.Rate{PerSecond: 0.001, Burst: burst} }

func retryAfter(t *testing.T, h http.Header) int {
	t.Helper()
	n, err := strconv.Atoi(h.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", h.Get("Retry-After"))
	return n
}

func TestHitsOverTheLimitAre429AndUnrecorded(t *testing.T) {
	t.Parallel()
	f := limited(t, tracking.RateLimits{Hits: slow(2)})
	rcpt := f.recipient(token.LevelIndividual)
	open, click := path(t, rcpt.Open()), path(t, rcpt.Click(1))
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }

	assert.Equal(t, http.StatusOK, f.do(http.MethodGet, open, "", from("198.51.100.1")...).Code)
	assert.Equal(t, http.StatusFound, f.do(http.MethodGet, click, "", from("198.51.100.1")...).Code)
	w := f.do(http.MethodGet, open, "", from("198.51.100.1")...)
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "image/gif", w.Header().Get("Content-Type"), "the reader's client still gets a pixel")
	assert.GreaterOrEqual(t, retryAfter(t, w.Header()), 1)
	w = f.do(http.MethodGet, click, "", from("198.51.100.1")...)
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Contains(t, w.Body.String(), landing, "a person over the limit still gets a link onward")
	assert.Empty(t, w.Header().Get("Location"))
	assert.Len(t, f.rec.all(), 2, "requests over the limit record nothing")

	assert.Equal(t, http.StatusOK, f.do(http.MethodGet, open, "", from("198.51.100.2")...).Code, "another address, another bucket")
	assert.Equal(t, http.StatusOK, f.do(http.MethodGet, open, "", from("2001:db8:1:2::1")...).Code)
	assert.Equal(t, http.StatusOK, f.do(http.MethodGet, open, "", from("2001:db8:1:2::ffff")...).Code)
	assert.Equal(t, http.StatusTooManyRequests, f.do(http.MethodGet, open, "", from("2001:db8:1:2:aaaa::1")...).Code,
		"one IPv6 /64 is one client")
	assert.Equal(t, http.StatusNotFound, f.do(http.MethodGet, "/o/forged-token-forged-token", "", from("198.51.100.1")...).Code,
		"a forged token is 404 whatever the limit")
}

func TestUnsubscribePageOverTheLimit(t *testing.T) {
	t.Parallel()
	f := limited(t, tracking.RateLimits{Pages: slow(1)})
	u := path(t, f.recipient(token.LevelIndividual).Unsubscribe())
	require.Equal(t, http.StatusOK, f.do(http.MethodGet, u, "", "X-Forwarded-For", "198.51.100.1").Code)
	w := f.do(http.MethodGet, u, "", "X-Forwarded-For", "198.51.100.1", "Accept-Language", "en")
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	assert.NotEmpty(t, w.Header().Get("Content-Security-Policy"))
	assert.GreaterOrEqual(t, retryAfter(t, w.Header()), 1)
	assert.Contains(t, w.Body.String(), `lang="en"`)
}

// One-click POSTs are limited per person, not per address: a mailbox provider posts everyone's
// unsubscribes from the same few addresses, and each person's must get through.
func TestOptoutsAreLimitedPerPerson(t *testing.T) {
	t.Parallel()
	f := limited(t, tracking.RateLimits{Optouts: slow(2)})
	const contactBo = 101
	f.recipients.byKey[[2]int64{campaignA, contactBo}] = tracking.Recipient{Email: "bo@yritys.fi", BrandID: 3}
	anna := path(t, f.recipient(token.LevelIndividual).Unsubscribe())
	bo := path(t, f.links.ForRecipient(campaignA, contactBo, sent, token.LevelIndividual).Unsubscribe())
	gmail := []string{"Content-Type", formType, "X-Forwarded-For", "209.85.220.41"}

	for range 2 {
		assert.Equal(t, http.StatusOK, f.do(http.MethodPost, anna, "List-Unsubscribe=One-Click", gmail...).Code)
	}
	w := f.do(http.MethodPost, anna, "List-Unsubscribe=One-Click", gmail...)
	assert.Equal(t, http.StatusTooManyRequests, w.Code, "the third repeat for one person")
	assert.GreaterOrEqual(t, retryAfter(t, w.Header()), 1)
	assert.Equal(t, http.StatusOK, f.do(http.MethodPost, bo, "List-Unsubscribe=One-Click", gmail...).Code,
		"another person from the same address is unsubscribed")
	assert.Equal(t, []string{"all"}, f.optouts.entries(contactBo))
}

// blockingLimiter never answers before its context ends: a Redis that hangs.
type blockingLimiter struct{}

func (blockingLimiter) Allow(ctx context.Context, _ ratelimit.Bucket, _ int) (int, time.Duration, error) {
	<-ctx.Done()
	return 0, 0, ctx.Err()
}

// A limiter that fails or hangs lets requests through: it must never stop an unsubscribe.
func TestRateLimiterFailsOpen(t *testing.T) {
	t.Parallel()
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = down.Close() })
	for name, l := range map[string]tracking.Limiter{"down": ratelimit.New(down, "x:"), "hanging": blockingLimiter{}} {
		f := setup(t, func(c *tracking.Config) {
			c.RateLimits = tracking.RateLimits{Limiter: l, Optouts: slow(1), Hits: slow(1), Timeout: 20 * time.Millisecond}
		})
		rcpt := f.recipient(token.LevelIndividual)
		u := path(t, rcpt.Unsubscribe())
		for range 2 {
			assert.Equal(t, http.StatusOK, f.do(http.MethodPost, u, "List-Unsubscribe=One-Click", "Content-Type", formType).Code, name)
			assert.Equal(t, http.StatusOK, f.do(http.MethodGet, path(t, rcpt.Open()), "").Code, name)
		}
		assert.Equal(t, []string{"all"}, f.optouts.entries(contactAnna), name)
		assert.Contains(t, f.logs.String(), "rate limiter failed", name)
	}
}

// blockingLinks and blockingRecipients hang until the request's context ends.
type blockingLinks struct{}

func (blockingLinks) Link(ctx context.Context, _ int64, _ int) (string, bool, error) {
	<-ctx.Done()
	return "", false, ctx.Err()
}

type blockingRecipients struct{}

func (blockingRecipients) Recipient(ctx context.Context, _, _ int64) (tracking.Recipient, error) {
	<-ctx.Done()
	return tracking.Recipient{}, ctx.Err()
}

// Lookups that hang are answered 503 after the request timeout, not waited for. (Opens and
// clicks wait for the Recorder, which bounds its own writes; see events.RecorderConfig.)
func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		adjust func(*tracking.Config)
		target func(token.Recipient) string
	}{
		{"click whose link lookup hangs", func(c *tracking.Config) { c.Links = blockingLinks{} },
			func(r token.Recipient) string { return r.Click(1) }},
		{"unsubscribe page whose lookup hangs", func(c *tracking.Config) { c.Recipients = blockingRecipients{} },
			token.Recipient.Unsubscribe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, tt.adjust, func(c *tracking.Config) { c.RequestTimeout = 50 * time.Millisecond })
			w := f.do(http.MethodGet, path(t, tt.target(f.recipient(token.LevelIndividual))), "")
			assert.Equal(t, http.StatusServiceUnavailable, w.Code, "a hung store is answered, not waited for")
			assert.NotContains(t, w.Body.String(), "deadline", "no internals")
		})
	}
}

// A client that trickles its body is cut off after the request timeout, whatever the server's
// own (longer) read timeout: the tracking endpoint shares a server with the API's slow imports.
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *tracking.Config) { c.RequestTimeout = 100 * time.Millisecond })
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	u := path(t, f.recipient(token.LevelIndividual).Unsubscribe())
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\nContent-Length: 100\r\n\r\nList-Unsub", u, formType)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "the server answers instead of waiting for the rest")
	defer res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Empty(t, f.optouts.log(), "nothing unsubscribed")
}
