package register_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/register"
)

const benchRows = 100_000

// benchCSV is a B2B register export: benchRows contacts at benchRows/50 companies, half of them
// with a Y-tunnus, an unknown column that becomes an attribute, and one bad row in a thousand.
func benchCSV() []byte {
	titles := []string{"Purchasing Manager", "CEO", "CFO", "Head of Procurement", "Buyer", "Engineer"}
	var buf bytes.Buffer
	buf.WriteString("email;first_name;last_name;title;segment;country;company;business_id;customer_number;phone;kind;lead_source\n")
	for i := range benchRows {
		co := i / 50
		bid := ""
		if co%2 == 0 {
			bid = yTunnus(1000000 + co)
		}
		email := fmt.Sprintf("person%d@company%d.example", i, co)
		if i%1000 == 999 {
			email = "broken-address"
		}
		fmt.Fprintf(&buf, "%s;First%d;Last%d;%s;industry;FI;Company %d Oy;%s;C-%d;+358 40 %07d;b2b;fair %d\n",
			email, i, i, titles[i%len(titles)], co, bid, i, i, i%7)
	}
	return buf.Bytes()
}

// yTunnus returns the valid Y-tunnus with the given seven-digit body or, when that body has no
// check digit, the next one that does.
func yTunnus(n int) string {
	for ; ; n++ {
		for c := 0; c <= 9; c++ {
			if s := fmt.Sprintf("%07d-%d", n, c); register.ValidYTunnus(s) {
				return s
			}
		}
	}
}

// BenchmarkImport measures the CSV import end to end into PostgreSQL: "new" into an empty
// register, "update" re-importing the same file over the contacts it created.
func BenchmarkImport(b *testing.B) {
	data := benchCSV()
	run := func(b *testing.B, im *register.Importer) {
		res, err := im.Import(b.Context(), bytes.NewReader(data), register.ImportOptions{})
		require.NoError(b, err)
		require.Equal(b, benchRows/1000, res.Rejected)
	}
	b.Run("new", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := pgtest.New(b)
			b.StartTimer()
			run(b, register.NewImporter(db.Pool, nil))
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("update", func(b *testing.B) {
		db := pgtest.New(b)
		im := register.NewImporter(db.Pool, nil)
		run(b, im)
		for b.Loop() {
			run(b, im)
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
