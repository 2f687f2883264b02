package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// kirjeBinary builds cmd/kirje once, so scenarios measure the real worker process.
var kirjeBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kirje-bench-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "kirje")
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kirje")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a running kirje subcommand.
type process struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

func startKirje(b *testing.B, env []string, args ...string) *process {
	b.Helper()
	bin, err := kirjeBinary()
	if err != nil {
		b.Fatal(err)
	}
	p := &process{cmd: exec.Command(bin, args...), logs: &bytes.Buffer{}}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
		}
		if b.Failed() {
			b.Logf("kirje %v:\n%s", args, p.logs.String())
		}
	})
	return p
}

// peakRSS is the process's high-water resident set size in bytes (VmHWM).
func (p *process) peakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", p.cmd.Process.Pid)
}
