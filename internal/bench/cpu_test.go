package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cpuTicks is the CPU time (user + system, in clock ticks) every running process has used, by
// process ID: a snapshot to subtract from a later one, to see where a window's CPU went. It is
// keyed by PID, not name, because a kernel worker's name changes with the work it does (a
// name-keyed snapshot counted a renamed kworker's whole lifetime as the window's).
type cpuTicks map[int]procTicks

type procTicks struct {
	name  string
	start int64 // when the process started, in ticks since boot: tells a reused PID apart
	ticks int64
}

func snapshotCPU() cpuTicks {
	out := cpuTicks{}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(s[:open]))
		if err != nil {
			continue
		}
		f := strings.Fields(s[close+2:])
		if len(f) < 20 {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		start, _ := strconv.ParseInt(f[19], 10, 64)
		out[pid] = procTicks{name: s[open+1 : close], start: start, ticks: utime + stime}
	}
	return out
}

// cpuShare is one process name's CPU use during a window, in cores (1.0 = one core busy).
type cpuShare struct {
	Name  string
	Cores float64
}

// since returns what the processes of each name used between before and s over d, largest
// first. A process that started in the window counts whole; one that ended in it is missing, so
// take both snapshots while the processes of interest run. Kernel workers are summed as
// "kworker". The kernel counts 100 ticks per second on Linux here (USER_HZ).
func (s cpuTicks) since(before cpuTicks, d time.Duration) cpuShares {
	byName := map[string]int64{}
	for pid, p := range s {
		used := p.ticks
		if b, ok := before[pid]; ok && b.start == p.start {
			used -= b.ticks
		}
		if used > 0 {
			name := p.name
			if strings.HasPrefix(name, "kworker/") {
				name = "kworker"
			}
			byName[name] += used
		}
	}
	var out cpuShares
	for name, used := range byName {
		out = append(out, cpuShare{Name: name, Cores: float64(used) / 100 / d.Seconds()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cores > out[j].Cores })
	return out
}

// cpuShares are processes' CPU use, largest first (since).
type cpuShares []cpuShare

// top lists the n largest, as "name cores, …".
func (s cpuShares) top(n int) string {
	parts := make([]string, 0, n)
	for _, c := range s[:min(len(s), n)] {
		parts = append(parts, fmt.Sprintf("%s %.2f", c.Name, c.Cores))
	}
	return strings.Join(parts, ", ")
}

// ioCalls counts a process's read and write system calls (syscr and syscw of /proc/PID/io;
// "self" for this process). Zero when the file cannot be read.
type ioCalls struct{ reads, writes int64 }

func readIOCalls(pid string) ioCalls {
	raw, err := os.ReadFile("/proc/" + pid + "/io")
	if err != nil {
		return ioCalls{}
	}
	var c ioCalls
	for _, line := range strings.Split(string(raw), "\n") {
		name, v, _ := strings.Cut(line, ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch name {
		case "syscr":
			c.reads = n
		case "syscw":
			c.writes = n
		}
	}
	return c
}

// perMessage is "R reads + W writes" per message between before and c.
func (c ioCalls) perMessage(before ioCalls, messages int) string {
	n := float64(max(messages, 1))
	return fmt.Sprintf("%.1f reads + %.1f writes", float64(c.reads-before.reads)/n, float64(c.writes-before.writes)/n)
}
