package register

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// BenchmarkRowReader measures CSV parsing and validation alone, without the database, to tell
// the import's Go cost from its PostgreSQL cost (BenchmarkImport).
func BenchmarkRowReader(b *testing.B) {
	const n = 100_000
	var buf bytes.Buffer
	buf.WriteString("email;first_name;last_name;title;country;company;business_id;phone;kind;lead_source\n")
	for i := range n {
		fmt.Fprintf(&buf, "person%d@company%d.example;First%d;Last%d;Buyer;FI;Company %d Oy;0112038-9;+358 40 %07d;b2b;fair %d\n",
			i, i/50, i, i, i/50, i, i%7)
	}
	data := buf.Bytes()
	for b.Loop() {
		rr, err := newRowReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		ch := newChunk(DefaultChunkSize)
		for {
			p, err := rr.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || p.reason != "" {
				b.Fatal(err, p.reason)
			}
			if ch.add(p); len(ch.rows) == DefaultChunkSize {
				ch.reset()
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
