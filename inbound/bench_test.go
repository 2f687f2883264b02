package inbound_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/inbound"
)

// BenchmarkListenerHardBounces delivers distinct hard-bounce DSNs (VERP-matched, each
// suppressing its address) over SMTP on 8 connections and reports messages per second: parse,
// match, event, suppression entry and Redis mirror write, all committed before the 250.
func BenchmarkListenerHardBounces(b *testing.B) {
	bb := setup(b, inbound.Config{})
	addr := listen(b, bb.proc, inbound.ListenerConfig{})
	tmpl := readCorpus(b, "postfix-user-unknown.eml")
	msgs, rcpts := make([][]byte, b.N), make([]string, b.N)
	for i := range b.N {
		c := bb.send(b, bb.campaign, fmt.Sprintf("user%d@bench.example", i), "")
		// Each report its own Message-ID: the same one twice is a duplicate, recorded once.
		raw := strings.Replace(tmpl, "Message-Id: <", fmt.Sprintf("Message-Id: <%d.", i), 1)
		msgs[i] = bb.message(b, raw, bb.campaign, c, fmt.Sprintf("m%d@acme.example", i))
		rcpts[i] = verpOf(b, msgs[i])
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if code := deliver(b, addr, []string{rcpts[i]}, msgs[i]); code != 0 {
					b.Errorf("message %d: reply %d", i, code)
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
	b.StopTimer()
	require.Equal(b, b.N, bb.count(b, `SELECT count(*) FROM suppressions WHERE reason = 'bounce'`))
}
