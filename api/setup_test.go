package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/api"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/token"
	"github.com/kirje/kirje/worker"
)

// env is one test's API on its own schema and Redis prefix, with a user and token per role.
type env struct {
	ctx     context.Context
	db      *pgtest.DB
	list    *suppression.List
	redis   *redistest.Redis
	handler http.Handler
	srv     *httptest.Server
	sched   *recordingScheduler
	sink    *smtptest.Sink // where test sends go
	logs    *syncBuffer
	users   map[access.Role]access.User
	tokens  map[access.Role]string
}

type options struct {
	maxBody, maxUpload int64
	redisURL           string                // a Redis that is down, for 503 tests
	realQueue          bool                  // the worker's Scheduler on the test's Redis instead of a recorder
	rcpt               func(to string) error // the SMTP sink's answer to RCPT TO
	routes             []api.Route           // other packages' routes
}

func setup(t *testing.T, opts ...func(*options)) *env {
	t.Helper()
	var o options
	for _, f := range opts {
		f(&o)
	}
	e := &env{ctx: context.Background(), db: pgtest.New(t), sched: &recordingScheduler{}, logs: &syncBuffer{}}
	rd := redistest.New(t)
	e.redis = rd
	cfg := suppression.Config{RedisURL: rd.URL, Prefix: rd.Prefix}
	if o.redisURL != "" {
		cfg.RedisURL = o.redisURL
	}
	list, err := suppression.New(e.db.Pool, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = list.Close() })
	if o.redisURL == "" {
		require.NoError(t, list.EnsureReady(e.ctx))
	}
	e.list = list
	var sched api.Scheduler = e.sched
	if o.realQueue {
		ws := worker.NewScheduler(e.db.Pool, rd.Client, rd.Prefix)
		t.Cleanup(func() { _ = ws.Close() })
		sched = ws
	}
	e.handler = api.New(api.Config{
		DB: e.db.Pool, Suppression: list, Optouts: optout.New(e.db.Pool, list),
		Scheduler: sched, Tester: e.tester(t, o.rcpt), MaxBodyBytes: o.maxBody, MaxUploadBytes: o.maxUpload,
		Routes: o.routes,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	e.users, e.tokens = map[access.Role]access.User{}, map[access.Role]string{}
	for _, role := range access.Roles() {
		e.users[role], e.tokens[role] = e.user(t, "staff-"+string(role), role)
	}
	return e
}

// user creates a user with a token through the Store, as `kirje users add` would.
func (e *env) user(t *testing.T, name string, role access.Role) (access.User, string) {
	t.Helper()
	s := access.New(e.db.Pool)
	u, err := s.CreateUser(e.ctx, name, role)
	require.NoError(t, err)
	plain, _, err := s.IssueToken(e.ctx, u.ID, "test")
	require.NoError(t, err)
	return u, plain
}

// resp is an answer, read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// errorBody decodes the API's error shape.
func (r resp) errorBody(t *testing.T) (msg string, details map[string]any) {
	t.Helper()
	var b struct {
		Error   string         `json:"error"`
		Details map[string]any `json:"details"`
	}
	r.json(t, &b)
	require.NotEmpty(t, b.Error, "an error message")
	return b.Error, b.Details
}

// do sends a request as token ("" for none). body is sent as is when it is a string or []byte,
// as JSON otherwise, and not at all when nil.
func (e *env) do(t *testing.T, method, path, token string, body any) resp {
	t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(js)
	}
	return e.send(t, method, path, token, ctype, rd)
}

func (e *env) send(t *testing.T, method, path, token, ctype string, body io.Reader) resp {
	t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, method, e.srv.URL+path, body)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// as is shorthand for a request by the role's user.
func (e *env) as(t *testing.T, role access.Role, method, path string, body any) resp {
	t.Helper()
	return e.do(t, method, path, e.tokens[role], body)
}

type recordingScheduler struct {
	mu                 sync.Mutex
	scheduled, resumed []campaign.Campaign
	err                error
}

func (s *recordingScheduler) Scheduled(_ context.Context, c campaign.Campaign) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scheduled = append(s.scheduled, c)
	return s.err
}

func (s *recordingScheduler) Resumed(_ context.Context, c campaign.Campaign) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resumed = append(s.resumed, c)
	return s.err
}

// tester is the worker's own test sender, relaying to an in-process SMTP sink.
func (e *env) tester(t *testing.T, rcpt func(string) error) api.TestSender {
	t.Helper()
	e.sink = smtptest.Start(t, smtptest.Options{Rcpt: rcpt})
	relay, err := mailer.ParseRelay("default", "smtp://"+e.sink.Addr+"?pool=2")
	require.NoError(t, err)
	pool := mailer.NewPool(relay, nil)
	t.Cleanup(func() { _ = pool.Close() })
	keys, err := token.NewKeyring(1, map[byte][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	base, err := url.Parse("https://t.kirje.test")
	require.NoError(t, err)
	return worker.NewTester(e.db.Pool, map[string]*mailer.Pool{"default": pool},
		token.Links{Base: base, Keys: keys}, "bounce.kirje.test")
}

// audit returns the audit log's entries of action ("" for all), oldest first.
func (e *env) audit(t *testing.T, action string) []access.Entry {
	t.Helper()
	es, err := access.AuditLog(e.ctx, e.db.Pool, access.AuditQuery{Action: action, Limit: 1000})
	require.NoError(t, err)
	return es
}

// syncBuffer collects log output written from handler goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the JSON log records with message msg.
func (b *syncBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (s *recordingScheduler) calls() (scheduled, resumed []campaign.Campaign) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]campaign.Campaign(nil), s.scheduled...), append([]campaign.Campaign(nil), s.resumed...)
}

func (s *recordingScheduler) fail(err error) { s.mu.Lock(); defer s.mu.Unlock(); s.err = err }
