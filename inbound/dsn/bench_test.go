package dsn_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/inbound/dsn"
)

// BenchmarkParse parses every corpus message once per iteration (33 messages of 1–6 KiB).
func BenchmarkParse(b *testing.B) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	require.NoError(b, err)
	var msgs [][]byte
	size := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(b, err)
		msgs = append(msgs, []byte(fill(string(raw))))
		size += len(raw)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			_, _ = dsn.Parse(m, dsn.Limits{})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(msgs))/1000, "µs/message")
}
