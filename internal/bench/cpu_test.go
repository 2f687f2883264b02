package bench

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cpuTicks is the CPU time (user + system, in clock ticks) every process has used, summed by
// command name: a snapshot to subtract from a later one, to see where a run's CPU went.
type cpuTicks map[string]int64

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
		name := s[open+1 : close]
		f := strings.Fields(s[close+2:])
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		out[name] += utime + stime
	}
	return out
}

// cpuShare is one process name's CPU use during a window, in cores (1.0 = one core busy).
type cpuShare struct {
	Name  string
	Cores float64
}

// since returns what each process name used between before and s over d, largest first. The
// kernel counts 100 ticks per second on Linux here (USER_HZ).
func (s cpuTicks) since(before cpuTicks, d time.Duration) []cpuShare {
	var out []cpuShare
	for name, t := range s {
		if used := t - before[name]; used > 0 {
			out = append(out, cpuShare{Name: name, Cores: float64(used) / 100 / d.Seconds()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cores > out[j].Cores })
	return out
}
