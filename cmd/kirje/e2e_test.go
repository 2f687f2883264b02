package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/internal/smtptest"
)

// kirjeBinary builds the kirje binary once per test run, for tests that need a real process to
// kill.
var kirjeBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kirje-e2e-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "kirje")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// stack is one test's services: its own schema, Redis prefix and SMTP sink.
type stack struct {
	db   *pgtest.DB
	rd   *redistest.Redis
	sink *smtptest.Sink
	env  []string
}

const testSecret = "e2e-secret-0123456789abcdef0123456789"

func newStack(t *testing.T, sinkOpts smtptest.Options, extraEnv ...string) *stack {
	t.Helper()
	s := &stack{db: pgtest.New(t), rd: redistest.New(t), sink: smtptest.Start(t, sinkOpts)}
	s.env = append([]string{
		"KIRJE_DATABASE_URL=" + s.db.URL,
		"KIRJE_REDIS_URL=" + s.rd.URL,
		"KIRJE_NAMESPACE=" + s.rd.Prefix,
		"KIRJE_PUBLIC_URL=https://t.kirje.test",
		"KIRJE_SECRET=" + testSecret,
		"KIRJE_SMTP_URL=smtp://" + s.sink.Addr + "?pool=4",
		"KIRJE_LOG_FORMAT=text",
		"KIRJE_LOG_LEVEL=warn",
	}, extraEnv...)
	return s
}

// getenv is the stack's environment for an in-process run(); a later entry overrides an
// earlier one, as in a process environment.
func (s *stack) getenv(name string) string {
	for i := len(s.env) - 1; i >= 0; i-- {
		if k, v, _ := strings.Cut(s.env[i], "="); k == name {
			return v
		}
	}
	return ""
}

// kirje runs a CLI command in-process and returns its output; it fails the test on a non-zero
// exit.
func (s *stack) kirje(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, s.getenv)
	require.Equal(t, 0, code, "kirje %v: %s", args, errb.String())
	return out.String()
}

// startProcess starts `kirje args…` as a child process with the stack's environment.
func (s *stack) startProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	bin, err := kirjeBinary()
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), s.env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("kirje %v output:\n%s", args, logs.String())
		}
	})
	return cmd
}

func (s *stack) count(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, s.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func (s *stack) waitDone(t *testing.T, id int64, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		c, err := campaign.New(s.db.Pool).Get(context.Background(), id)
		return err == nil && c.Status == campaign.StatusDone
	}, within, 50*time.Millisecond, "campaign %d did not finish", id)
}

// writeFile writes content to a temporary file and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "body.html")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}
