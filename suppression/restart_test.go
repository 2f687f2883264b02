package suppression_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/suppression"
)

// privateRedis is a redis-server of the test's own, so the test may restart it.
type privateRedis struct {
	t    *testing.T
	dir  string
	port int
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	r := &privateRedis{t: t, dir: t.TempDir(), port: port}
	r.start()
	t.Cleanup(r.stop)
	return r
}

// start runs the server with RDB persistence only (no AOF), so a restart restores the snapshot
// taken by the last SAVE: an older state of the mirror.
func (r *privateRedis) start() {
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--dir", r.dir, "--dbfilename", "dump.rdb", "--appendonly", "no", "--save", "")
	r.cmd.Stdout, r.cmd.Stderr = nil, nil
	require.NoError(r.t, r.cmd.Start())
	c := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer func() { _ = c.Close() }()
	require.Eventually(r.t, func() bool { return c.Ping(context.Background()).Err() == nil },
		10*time.Second, 10*time.Millisecond, "redis-server did not start")
}

func (r *privateRedis) addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

// stop shuts the server down without saving, like a crash after the last snapshot.
func (r *privateRedis) stop() {
	if r.cmd == nil {
		return
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1})
	_ = c.ShutdownNoSave(context.Background()).Err()
	_ = c.Close()
	_ = r.cmd.Wait()
	r.cmd = nil
}

func (r *privateRedis) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.addr()})
	r.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Redis restarts and restores an older snapshot of the mirror, which lacks an unsubscribe made
// after the snapshot. The restored ready marker names the old process, so Check fails closed
// instead of answering from the old snapshot, until EnsureReady rebuilds from PostgreSQL.
func TestRedisRestartWithOldSnapshotFailsClosedUntilRebuilt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := startPrivateRedis(t)
	db := pgtest.New(t)
	l, err := suppression.New(db.Pool, suppression.Config{RedisOptions: &redis.Options{Addr: srv.addr()}, Prefix: "kirje:"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	require.NoError(t, l.EnsureReady(ctx))

	_, _, err = l.AddOne(ctx, suppression.Input{Address: "before@example.fi", Reason: suppression.ReasonUnsubscribe})
	require.NoError(t, err)
	require.NoError(t, srv.client().Save(ctx).Err())
	_, _, err = l.AddOne(ctx, suppression.Input{Address: "after@example.fi", Reason: suppression.ReasonUnsubscribe})
	require.NoError(t, err)
	v, err := l.Check(ctx, 0, "after@example.fi")
	require.NoError(t, err)
	require.True(t, v.Suppressed)

	oldRunID := serverRunID(t, srv.client())
	srv.stop()
	_, err = l.Check(ctx, 0, "after@example.fi")
	require.ErrorIs(t, err, suppression.ErrUnavailable, "Redis down")
	srv.start()

	raw := srv.client()
	member := suppression.Hash("after@example.fi")
	inSnapshot, err := raw.SIsMember(ctx, "kirje:{suppression}:set", "a:"+string(member[:])).Result()
	require.NoError(t, err)
	require.False(t, inSnapshot, "the restored snapshot lacks the later unsubscribe")
	oldMarker, err := raw.SIsMember(ctx, "kirje:{suppression}:set", "r:"+oldRunID).Result()
	require.NoError(t, err)
	require.True(t, oldMarker, "the snapshot restored the old process's ready marker too")
	require.NotEqual(t, oldRunID, serverRunID(t, raw), "a restarted Redis has a new run_id")

	for _, addr := range []string{"after@example.fi", "before@example.fi", "other@example.fi"} {
		_, err = l.Check(ctx, 0, addr)
		require.ErrorIs(t, err, suppression.ErrUnavailable, "%s: the old snapshot must not answer", addr)
	}

	require.NoError(t, l.EnsureReady(ctx))
	for addr, want := range map[string]bool{"after@example.fi": true, "before@example.fi": true, "other@example.fi": false} {
		v, err := l.Check(ctx, 0, addr)
		require.NoError(t, err)
		assert.Equal(t, want, v.Suppressed, addr)
	}
}
