package templates_test

import (
	"testing"

	"github.com/kirje/kirje/templates"
)

// BenchmarkRender is the per-recipient cost on the send hot path: a typical newsletter body in
// the default layout (six tracked links, merge fields, derived text part).
//
//	go test ./templates -run '^$' -bench Render -benchmem
func BenchmarkRender(b *testing.B) {
	c, err := templates.Compile(templates.Source{Subject: "Kevät {{ .Contact.FirstName }}", HTML: fragment})
	if err != nil {
		b.Fatal(err)
	}
	d := sampleData()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Render(d, urls{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Render(d, urls{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
