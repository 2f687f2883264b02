package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/webhook"
)

// clock is a test's settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// bundle is what a webhook test needs.
type bundle struct {
	ctx   context.Context
	db    *pgtest.DB
	rd    *redistest.Redis
	clock *clock
	disp  *webhook.Dispatcher
	queue string
}

// loopback lets tests use httptest servers (plain HTTP on 127.0.0.1).
var loopback = webhook.Policy{AllowLoopbackHTTP: true}

func setup(t *testing.T, cfg webhook.Config) bundle {
	t.Helper()
	b := bundle{ctx: context.Background(), db: pgtest.New(t), rd: redistest.New(t),
		clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	b.queue = b.rd.Prefix + "background"
	client := asynq.NewClientFromRedisClient(b.rd.Client)
	t.Cleanup(func() { _ = client.Close() })
	cfg.Queue = b.queue
	if cfg.Now == nil {
		cfg.Now = b.clock.Now
	}
	b.disp = webhook.NewDispatcher(b.db.Pool, client, cfg)
	return b
}

// emit stores events of the given types (a click carries a link), in one transaction.
func (b bundle) emit(t *testing.T, types ...events.Type) {
	t.Helper()
	evs := make([]events.Event, len(types))
	for i, typ := range types {
		evs[i] = events.Event{Type: typ, CampaignID: 1, ContactID: int64(100 + i), OccurredAt: b.clock.Now()}
	}
	_, err := events.Insert(b.ctx, b.db.Pool, evs...)
	require.NoError(t, err)
}

// pump runs the pump once every stored event is behind the feed's horizon, so a test does not
// depend on other tests' transactions in the same cluster holding the horizon back.
func (b bundle) pump(t *testing.T) webhook.PumpResult {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ahead bool
		require.NoError(t, b.db.Pool.QueryRow(b.ctx, `
SELECT EXISTS (SELECT 1 FROM events WHERE tx >= pg_snapshot_xmin(pg_current_snapshot()))`).Scan(&ahead))
		if !ahead {
			break
		}
		require.True(t, time.Now().Before(deadline), "the feed horizon did not pass the test's events")
		time.Sleep(20 * time.Millisecond) // the horizon moves when other sessions commit
	}
	r, err := b.disp.Pump(b.ctx)
	require.NoError(t, err)
	return r
}

func (b bundle) add(t *testing.T, url string, types ...events.Type) webhook.Created {
	t.Helper()
	c, err := b.disp.Store().Add(b.ctx, webhook.Input{URL: url, Types: types, FromStart: true, CreatedBy: "test"})
	require.NoError(t, err)
	return c
}

// request is what a receiver got.
type request struct {
	header http.Header
	body   []byte
}

// receiver is an endpoint that answers each request with the next status of its script (the
// last one repeats) and keeps what it got, de-duplicating on webhook-id as receivers must.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []request
	seen     map[string]bool
	accepted []json.RawMessage // the events of first-seen, accepted messages
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses, seen: map[string]bool{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	status := r.statuses[min(len(r.got), len(r.statuses)-1)]
	r.got = append(r.got, request{header: req.Header.Clone(), body: body})
	id := req.Header.Get("webhook-id")
	if status/100 == 2 && !r.seen[id] {
		r.seen[id] = true
		var msg struct{ Data []json.RawMessage }
		_ = json.Unmarshal(body, &msg)
		r.accepted = append(r.accepted, msg.Data...)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte("status " + strconv.Itoa(status)))
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

// acceptedIDs are the event IDs the receiver accepted, in arrival order.
func (r *receiver) acceptedIDs(t *testing.T) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]int64, len(r.accepted))
	for i, raw := range r.accepted {
		var e struct{ ID int64 }
		require.NoError(t, json.Unmarshal(raw, &e))
		ids[i] = e.ID
	}
	return ids
}

// verify checks a message as a receiver following the Standard Webhooks specification does,
// written from the specification's text, not with the package's signer: the signed content is
// id.timestamp.body; the key is the base64 after "whsec_"; the header is a space-separated list
// of "v1,<base64 HMAC-SHA256>"; timestamps more than five minutes off are refused.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	if id == "" || ts == "" {
		return errors.New("missing webhook-id or webhook-timestamp")
	}
	sent, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return err
	}
	if d := now.Unix() - sent; d > 300 || d < -300 {
		return errors.New("timestamp too far from now")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if version, value, _ := strings.Cut(sig, ","); version == "v1" && hmac.Equal([]byte(value), []byte(want)) {
			return nil
		}
	}
	return errors.New("no valid signature")
}
