package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTuneGC checks that the long-running commands' GC settings apply only where the
// environment sets neither GOGC nor GOMEMLIMIT. It changes process-wide settings (restored
// after) and the environment, so it does not run in parallel.
func TestTuneGC(t *testing.T) {
	restoreEnv := func(key string) {
		if v, ok := os.LookupEnv(key); ok {
			t.Cleanup(func() { os.Setenv(key, v) })
		} else {
			t.Cleanup(func() { os.Unsetenv(key) })
		}
	}
	restoreEnv("GOGC")
	restoreEnv("GOMEMLIMIT")
	percent := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })

	tests := []struct {
		name        string
		env         map[string]string // set; the other of GOGC and GOMEMLIMIT is unset
		wantPercent int
		wantLimit   int64
	}{
		{"neither set: Kirje's", nil, workerGCPercent, gcMemoryLimit},
		{"GOGC set: the environment's", map[string]string{"GOGC": "100"}, 100, math.MaxInt64},
		{"GOMEMLIMIT set: the environment's", map[string]string{"GOMEMLIMIT": "1GiB"}, 100, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Unsetenv("GOGC")
			os.Unsetenv("GOMEMLIMIT")
			for k, v := range tt.env {
				os.Setenv(k, v)
			}
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)

			tuneGC(workerGCPercent)
			assert.Equal(t, tt.wantPercent, debug.SetGCPercent(100))
			assert.Equal(t, tt.wantLimit, debug.SetMemoryLimit(math.MaxInt64))
		})
	}
}
