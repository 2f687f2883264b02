package tracking_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/token"
	"github.com/kirje/kirje/tracking"
)

// discard is a ResponseWriter that keeps only the status, so benchmarks measure the handler.
type discard struct {
	hdr    http.Header
	status int
}

func newDiscard() *discard { return &discard{hdr: http.Header{}} }

func (d *discard) Header() http.Header         { return d.hdr }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(status int)      { d.status = status }

type nopRecorder struct{}

func (nopRecorder) Record(context.Context, events.Event) error { return nil }

func benchHandler(b *testing.B, target func(token.Recipient) string, want int) {
	f := setup(b, func(c *tracking.Config) { c.Recorder = nopRecorder{} })
	req := httptest.NewRequest(http.MethodGet, target(f.recipient(token.LevelIndividual)), nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := newDiscard()
		for pb.Next() {
			clear(w.hdr)
			f.h.ServeHTTP(w, req)
			if w.status != want {
				b.Fatalf("status %d", w.status)
			}
		}
	})
}

func BenchmarkOpen(b *testing.B) {
	benchHandler(b, func(r token.Recipient) string { return r.Open() }, http.StatusOK)
}

func BenchmarkClick(b *testing.B) {
	benchHandler(b, func(r token.Recipient) string { return r.Click(1) }, http.StatusFound)
}

// BenchmarkBareGIF is the baseline: a bare handler writing the same pixel and headers.
func BenchmarkBareGIF(b *testing.B) {
	gif := make([]byte, 43)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/gif")
		w.Write(gif)
	})
	req := httptest.NewRequest(http.MethodGet, "/o/x", nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := newDiscard()
		for pb.Next() {
			clear(w.hdr)
			h.ServeHTTP(w, req)
		}
	})
}
