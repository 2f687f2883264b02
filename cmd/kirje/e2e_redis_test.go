package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/worker"
)

// privateRedis is a redis-server of the test's own, so that the test can kill and restart it.
type privateRedis struct {
	port int
	dir  string
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	r := &privateRedis{port: port, dir: t.TempDir()}
	r.start(t)
	t.Cleanup(func() { r.kill() })
	return r
}

func (r *privateRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// start runs the server with an append-only file, as production does for asynq: a restart
// brings back the queue and the old suppression mirror.
func (r *privateRedis) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--dir", r.dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
	r.cmd.Stdout, r.cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(t, r.cmd.Start())
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
	defer c.Close()
	require.Eventually(t, func() bool { return c.Ping(context.Background()).Err() == nil },
		10*time.Second, 20*time.Millisecond, "redis-server did not start")
}

func (r *privateRedis) kill() {
	if r.cmd != nil && r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		_ = r.cmd.Wait()
	}
}

// Redis dies mid-campaign and comes back with its append-only file: the queue and an old copy
// of the suppression mirror return, but the mirror misses an entry made meanwhile. Sends stop
// while Redis is down (fail closed), the mirror is rebuilt from PostgreSQL before any send is
// checked against it, and the campaign completes without mailing the entry's address.
func TestRedisRestartRebuildsTheMirrorAndSendsFailClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a redis-server")
	}
	t.Parallel()
	ctx := context.Background()
	const n = 1200
	rs := startPrivateRedis(t)
	s := newStack(t, smtptest.Options{Discard: true}, "KIRJE_DOMAIN_RATE=0", "KIRJE_BATCH_SIZE=50",
		"KIRJE_RECONCILE_EVERY=1s", "KIRJE_STALE_AFTER=2s", "KIRJE_SEND_LEASE=2s")
	s.env = append(s.env, "KIRJE_REDIS_URL="+rs.url(), "KIRJE_NAMESPACE=kirje:",
		"KIRJE_SMTP_URL=smtp://"+s.sink.Addr+"?pool=4&rate=200")
	fixture.Contacts(t, s.db.Pool, "restart.example", n)
	brand := fixture.Brand(t, s.db.Pool, "acme")
	app, _ := s.startApp(t)
	c := fixture.Scheduled(t, s.db.Pool, brand, "", time.Now())
	require.NoError(t, worker.NewScheduler(s.db.Pool, app.rdb, "kirje:").Scheduled(ctx, c))

	s.sink.Wait(t, 300, 30*time.Second)
	rs.kill()
	killedAt := s.sink.Accepted()

	// While Redis is down an entry reaches PostgreSQL that the restored mirror cannot know
	// (as if written by another tool, or lost with the last second of the append-only file).
	late := ""
	for i := n - 1; i >= 0 && late == ""; i-- {
		if e := fmt.Sprintf("user%d@restart.example", i); len(s.sink.To(e)) == 0 {
			late = e
		}
	}
	require.NotEmpty(t, late)
	h := suppression.Hash(late)
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO suppressions (address_hash, address, reason, source) VALUES ($1, $2, 'manual', 'test')`, h[:], late)
	require.NoError(t, err)

	// Nothing is checked, so nothing starts; only messages already past their check may finish.
	time.Sleep(1500 * time.Millisecond)
	down := s.sink.Accepted() - killedAt
	assert.LessOrEqual(t, down, int64(4), "sends must stop while the suppression list cannot be checked")

	rs.start(t)
	s.waitDone(t, c.ID, 90*time.Second)

	assert.Empty(t, s.sink.To(late), "the restored mirror missed this entry; it must have been rebuilt before sending")
	for i := range n {
		email := fmt.Sprintf("user%d@restart.example", i)
		if email == late {
			continue
		}
		require.NotEmpty(t, s.sink.To(email), "%s was never sent its message", email)
	}
	t.Logf("accepted before the kill %d, while down %d, total %d", killedAt, down, s.sink.Accepted())
}
