package bench

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/token"
)

// gif is the 1×1 transparent GIF both servers answer with.
var gif = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// wrkResult is what one wrk run measured.
type wrkResult struct {
	requests, non2xx3xx int64
	perSecond           float64
	p99                 time.Duration
}

// runWrk loads url with wrk (-t1 -c64, as the measured facts) for d and, if logCPU, logs
// where the machine's CPU went over the middle of the run (wrk's own share included).
func runWrk(b *testing.B, target string, d time.Duration, logCPU bool) wrkResult {
	b.Helper()
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Skip("wrk is not installed (apt-get install wrk)")
	}
	var out bytes.Buffer
	cmd := exec.Command("wrk", "-t1", "-c64", "-d"+d.String(), "--latency", target)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatalf("wrk: %v", err)
	}
	// The window leaves out wrk's first and last second, while connections open and close.
	edge := min(time.Second, d/4)
	window := time.NewTimer(edge)
	<-window.C
	before, start := snapshotCPU(), time.Now()
	window.Reset(d - 2*edge)
	<-window.C
	cpu := snapshotCPU().since(before, time.Since(start))
	if err := cmd.Wait(); err != nil {
		b.Fatalf("wrk: %v\n%s", err, out.String())
	}
	if logCPU {
		b.Logf("CPU under load of %s (cores): %s", target, cpu.top(5))
	}
	s := out.String()
	var r wrkResult
	if m := regexp.MustCompile(`(\d+) requests in`).FindStringSubmatch(s); m != nil {
		r.requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`).FindStringSubmatch(s); m != nil {
		r.non2xx3xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := regexp.MustCompile(`Requests/sec:\s+([\d.]+)`).FindStringSubmatch(s); m != nil {
		r.perSecond, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := regexp.MustCompile(`\s99%\s+([\d.]+)(us|ms|s)`).FindStringSubmatch(s); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[2]]
		r.p99 = time.Duration(v * float64(unit))
	}
	if r.requests == 0 || r.perSecond == 0 {
		b.Fatalf("could not read wrk's output:\n%s", s)
	}
	return r
}

// meanWrk is the mean rate and p99 of bare-server runs.
func meanWrk(rs ...wrkResult) wrkResult {
	var m wrkResult
	for _, r := range rs {
		m.perSecond += r.perSecond / float64(len(rs))
		m.p99 += r.p99 / time.Duration(len(rs))
	}
	return m
}

// phase is one wrk run against Kirje and the mean of the bare runs on either side of it.
type phase struct {
	kind        string // "open" or "click"
	kirje, bare wrkResult
}

func (p phase) ratio() float64    { return p.kirje.perSecond / p.bare.perSecond }
func (p phase) p99Ratio() float64 { return float64(p.kirje.p99) / float64(p.bare.p99) }

// kindSummary is what the phases of one kind measured together.
type kindSummary struct {
	kind                    string
	perSecond               float64 // mean rate
	ratio                   float64 // mean of the phases' ratios to bare
	p99Ratio, worstP99Ratio float64 // mean and highest of the phases' p99 ratios
	requests, acknowledged  int64   // requests wrk made; answered 2xx or 3xx
	rounds                  string  // each phase's ratio and its bare rate, for the log
}

func summarize(phases []phase, kind string) kindSummary {
	s := kindSummary{kind: kind}
	n := 0
	for _, p := range phases {
		if p.kind != kind {
			continue
		}
		n++
		s.perSecond += p.kirje.perSecond
		s.ratio += p.ratio()
		s.p99Ratio += p.p99Ratio()
		s.worstP99Ratio = max(s.worstP99Ratio, p.p99Ratio())
		s.requests += p.kirje.requests
		s.acknowledged += p.kirje.requests - p.kirje.non2xx3xx
		if s.rounds != "" {
			s.rounds += ", "
		}
		s.rounds += fmt.Sprintf("%.3f× of %.0f", p.ratio(), p.bare.perSecond)
	}
	s.perSecond /= float64(n)
	s.ratio /= float64(n)
	s.p99Ratio /= float64(n)
	return s
}

func minRate(rs []wrkResult) float64 {
	m := math.Inf(1)
	for _, r := range rs {
		m = min(m, r.perSecond)
	}
	return m
}

func maxRate(rs []wrkResult) float64 {
	var m float64
	for _, r := range rs {
		m = max(m, r.perSecond)
	}
	return m
}

// bareGIF serves the same GIF with plain net/http: the baseline.
func bareGIF(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/gif")
		w.Header().Set("Cache-Control", "no-store, no-cache, must-revalidate, private")
		_, _ = w.Write(gif)
	})}
	go func() { _ = srv.Serve(l) }()
	b.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String() + "/o/x"
}

func freeAddr(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// BenchmarkTracking loads the open pixel and a tracked click of a real `kirje serve` with wrk
// and, in the same run, a bare net/http handler serving the same GIF, before and after each of
// them, in three rounds. Every acknowledged event must be in PostgreSQL afterwards (counted once
// the worker's ingester has caught up). Targets: opens ≥ 0.6× bare, clicks ≥ 0.5× bare, p99 ≤ 2×
// bare's p99.
func BenchmarkTracking(b *testing.B) {
	const (
		secret = "bench-secret-0123456789abcdef01234567"
		rounds = 3
		d      = 10 * time.Second
	)
	for range b.N {
		ctx := context.Background()
		db, rd := pgtest.New(b), redistest.New(b)
		sink, err := smtptest.Listen("127.0.0.1:0", smtptest.Options{Discard: true})
		if err != nil {
			b.Fatal(err)
		}
		defer sink.Close()
		brand := fixture.Brand(b, db.Pool, "bench")
		contact := fixture.Contact(b, db.Pool, "reader@bench.example", "Buyer")
		c := fixture.Campaign(b, db.Pool, brand, "")
		addr := freeAddr(b)
		env := []string{
			"KIRJE_DATABASE_URL=" + db.URL, "KIRJE_REDIS_URL=" + rd.URL, "KIRJE_NAMESPACE=" + rd.Prefix,
			"KIRJE_PUBLIC_URL=http://" + addr, "KIRJE_SECRET=" + secret, "KIRJE_HTTP_ADDR=" + addr,
			"KIRJE_SMTP_URL=smtp://" + sink.Addr, "KIRJE_LOG_LEVEL=error",
			"KIRJE_TRACKING_RATE=0",
		}
		startKirje(b, env, "serve")
		startKirje(b, env, "worker")
		waitHTTP(b, "http://"+addr+"/healthz")

		keys, err := token.ParseKeyring("1", secret, "")
		if err != nil {
			b.Fatal(err)
		}
		base, _ := url.Parse("http://" + addr)
		urls := token.Links{Base: base, Keys: keys}.ForRecipient(c.ID, contact.ID, time.Now(), register.TrackingIndividual)
		links, err := campaignLinkIDs(ctx, db, c.ID)
		if err != nil {
			b.Fatal(err)
		}

		// The bare server is measured before and after each Kirje phase, and each phase is
		// compared with the mean of its two neighbours: the bare rate moves by a few per cent from
		// one run to the next (it is latency-bound, with CPU to spare), and one bare run on one
		// side of a phase made that noise the ratio's. A single 10-second phase still moves by
		// ±3 % on its own, so the scenario runs `rounds` rounds of (bare, open, bare, click) and a
		// last bare run, and reports the mean of each kind's ratios beside every round's.
		// After each Kirje phase the next bare run waits until the worker has stored every event
		// acknowledged so far, so that no ingestion left over from Kirje's phase runs during it.
		bareURL := bareGIF(b)
		targets := map[string]string{"open": urls.Open(), "click": urls.Click(links[len(links)-1])}
		bares := []wrkResult{runWrk(b, bareURL, d, true)}
		var (
			phases   []phase
			acked    = map[string]int64{}
			stored   = map[string]int64{}
			caughtUp = true
		)
		for round := range rounds {
			for _, kind := range []string{"open", "click"} {
				r := runWrk(b, targets[kind], d, round == 0)
				acked[kind] += r.requests - r.non2xx3xx
				stored["open"], stored["click"] = waitEvents(b, db, c.ID, acked["open"], acked["click"])
				caughtUp = caughtUp && stored[kind] >= acked[kind]
				bares = append(bares, runWrk(b, bareURL, d, round == 0))
				phases = append(phases, phase{kind: kind, kirje: r, bare: meanWrk(bares[len(bares)-2:]...)})
			}
		}
		opens, clicks := summarize(phases, "open"), summarize(phases, "click")

		bare := meanWrk(bares...)
		b.ReportMetric(bare.perSecond, "bare_req/s")
		b.ReportMetric(opens.perSecond, "open_req/s")
		b.ReportMetric(clicks.perSecond, "click_req/s")
		b.ReportMetric(opens.ratio, "open_ratio")
		b.ReportMetric(clicks.ratio, "click_ratio")
		b.ReportMetric(float64(bare.p99.Microseconds())/1000, "bare_p99_ms")
		b.ReportMetric(opens.p99Ratio, "open_p99_ratio")
		b.ReportMetric(clicks.p99Ratio, "click_p99_ratio")
		b.Logf("bare: %.0f req/s (%.0f–%.0f over %d runs), p99 %v", bare.perSecond, minRate(bares), maxRate(bares), len(bares), bare.p99)
		for _, sum := range []kindSummary{opens, clicks} {
			b.Logf("%s: %.0f req/s, %.3f× bare (rounds: %s); p99 %.2f× bare's (worst round %.2f×); %d acknowledged, %d in PostgreSQL",
				sum.kind, sum.perSecond, sum.ratio, sum.rounds, sum.p99Ratio, sum.worstP99Ratio, sum.acknowledged, stored[sum.kind])
		}
		if !caughtUp {
			b.Logf("the ingester had not stored every acknowledged event within 10 s of a phase's end; the bare run after it shared the machine with ingestion")
		}
		gotOpens, gotClicks := stored["open"], stored["click"]
		// Every acknowledged event must be stored. Requests wrk abandoned when it stopped (at most
		// one per connection and phase) may be stored without wrk having counted their answer.
		const conns = 64
		if gotOpens < opens.acknowledged || gotClicks < clicks.acknowledged {
			b.Errorf("acknowledged events missing: opens %d stored of %d acknowledged, clicks %d of %d", gotOpens, opens.acknowledged, gotClicks, clicks.acknowledged)
		}
		if gotOpens > opens.requests+conns*rounds || gotClicks > clicks.requests+conns*rounds {
			b.Errorf("more events stored than requests made: opens %d/%d, clicks %d/%d", gotOpens, opens.requests, gotClicks, clicks.requests)
		}
	}
}

func waitHTTP(b *testing.B, u string) {
	b.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("%s did not come up", u)
}

func campaignLinkIDs(ctx context.Context, db *pgtest.DB, campaignID int64) ([]int, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id FROM campaign_links WHERE campaign_id = $1 AND NOT honeypot ORDER BY id`, campaignID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("campaign %d has no tracked links", campaignID)
	}
	return ids, rows.Err()
}

// waitEvents waits until the stored open and click counts stop short of nothing: until they
// reach the acknowledged counts, or stay unchanged for 10 s.
func waitEvents(b *testing.B, db *pgtest.DB, campaignID, wantOpens, wantClicks int64) (opens, clicks int64) {
	b.Helper()
	last, since := int64(-1), time.Now()
	for time.Since(since) < 10*time.Second {
		err := db.Pool.QueryRow(context.Background(), `
SELECT count(*) FILTER (WHERE type = 'open'), count(*) FILTER (WHERE type = 'click')
FROM events WHERE campaign_id = $1`, campaignID).Scan(&opens, &clicks)
		if err != nil {
			b.Fatal(err)
		}
		if opens >= wantOpens && clicks >= wantClicks {
			return opens, clicks
		}
		if opens+clicks != last {
			last, since = opens+clicks, time.Now()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return opens, clicks
}
