package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/mailer/mailertest"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/worker"
)

const benchConns = 10

// campaignHTML is the body of the benchmark campaign: six sections with a tracked link each,
// about the size of mailertest.Sample once the default layout wraps it.
func campaignHTML() string {
	var sb strings.Builder
	for p := range 6 {
		fmt.Fprintf(&sb, `<h2>Uutuus %d</h2><p>Hei {{ .Contact.FirstName }}, kevään valikoimassa on uutta hankintapäälliköille: `+
			`tuotteet, joilla rakennusprojektin materiaalihankinnat hoituvat nopeammin ja edullisemmin. `+
			`Tutustu tarjoukseen ja pyydä tarjous suoraan myyjältäsi.</p>`+
			`<p><a href="https://shop.example.fi/spring/%d" style="color:#1f2937">Lue lisää</a></p>`, p+1, p+1)
	}
	return sb.String()
}

// BenchmarkSendCampaign sends a 100,000-recipient campaign end to end (scheduled → last message
// accepted) into a local go-smtp sink, with the per-message suppression check and the ledger,
// and measures in the same run the raw rate of go-mail pushing prebuilt messages of the same
// size into the same sink over the same number of connections. Target: ≥ 0.8× raw; start latency
// (scheduled time → first message) under 1 s.
func BenchmarkSendCampaign(b *testing.B) {
	n := benchRecipients()
	for range b.N {
		ctx := context.Background()
		sink, err := smtptest.Listen("127.0.0.1:0", smtptest.Options{Discard: true})
		if err != nil {
			b.Fatal(err)
		}
		defer sink.Close()

		raw, err := mailertest.RawSend(ctx, sink.Addr, benchConns, n, func(i int) (*mail.Msg, error) {
			return mailer.Build(mailertest.Sample(i), nil)
		})
		if err != nil {
			b.Fatal(err)
		}
		before := sink.Accepted()

		db, rd := pgtest.New(b), redistest.New(b)
		fixture.Contacts(b, db.Pool, "bench.example", n)
		brand := fixture.Brand(b, db.Pool, "bench")
		c := createCampaign(b, db, brand)
		env := []string{
			"KIRJE_DATABASE_URL=" + db.URL, "KIRJE_REDIS_URL=" + rd.URL, "KIRJE_NAMESPACE=" + rd.Prefix,
			"KIRJE_PUBLIC_URL=https://t.kirje.test", "KIRJE_SECRET=bench-secret-0123456789abcdef01234567",
			fmt.Sprintf("KIRJE_SMTP_URL=smtp://%s?pool=%d", sink.Addr, benchConns),
			fmt.Sprintf("KIRJE_CONCURRENCY=%d", benchConns), "KIRJE_DOMAIN_RATE=0", "KIRJE_LOG_LEVEL=warn",
			"KIRJE_METRICS_ADDR=" + os.Getenv("KIRJE_BENCH_METRICS_ADDR"),
		}
		proc := startKirje(b, env, "worker")
		// Let the worker come up (connect, build the suppression mirror) before the campaign's
		// time, so start latency measures the scheduler, not process start-up.
		at := time.Now().Add(3 * time.Second)
		if c, err = campaign.New(db.Pool).Schedule(ctx, c.ID, at); err != nil {
			b.Fatal(err)
		}
		if err := worker.NewScheduler(db.Pool, rd.Client, rd.Prefix).Scheduled(ctx, c); err != nil {
			b.Fatal(err)
		}
		waitCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		err = sink.WaitContext(waitCtx, before+int64(n))
		cancel()
		if err != nil {
			b.Fatalf("waiting for %d messages: %v (have %d)", n, err, sink.Accepted()-before)
		}
		msgs := sink.Messages()[before:]
		first, last := msgs[0].StartedAt, msgs[0].AcceptedAt
		for _, m := range msgs {
			if m.StartedAt.Before(first) {
				first = m.StartedAt
			}
			if m.AcceptedAt.After(last) {
				last = m.AcceptedAt
			}
		}
		endToEnd := last.Sub(at)
		kirjeRate := float64(n) / endToEnd.Seconds()
		sending := float64(n) / last.Sub(first).Seconds()
		rss, _ := proc.peakRSS()
		b.ReportMetric(kirjeRate, "kirje_msgs/s")
		b.ReportMetric(sending, "kirje_sending_msgs/s")
		b.ReportMetric(raw.PerSecond(), "raw_msgs/s")
		b.ReportMetric(kirjeRate/raw.PerSecond(), "ratio_end_to_end")
		b.ReportMetric(sending/raw.PerSecond(), "ratio_sending")
		b.ReportMetric(float64(first.Sub(at).Milliseconds()), "start_latency_ms")
		b.ReportMetric(float64(rss)/(1<<20), "worker_peak_rss_MB")
		b.Logf("raw: %v", raw)
		b.Logf("kirje: %d messages, scheduled → first %v, → last %v (%.0f msgs/s end to end, %.0f msgs/s once sending), worker peak RSS %.0f MB",
			n, first.Sub(at).Round(time.Millisecond), endToEnd.Round(time.Millisecond), kirjeRate, sending, float64(rss)/(1<<20))
	}
}

func createCampaign(b *testing.B, db *pgtest.DB, brand register.Brand) campaign.Campaign {
	b.Helper()
	c, err := campaign.New(db.Pool).Create(context.Background(), campaign.Input{
		BrandID: brand.ID, Name: "bench", Subject: "Kevään uutuudet hankintaan",
		HTML: campaignHTML(), Segment: campaign.Filter{}, CreatedBy: "bench",
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// benchRecipients is the send scenario's audience: 100,000, or KIRJE_BENCH_RECIPIENTS for a
// quicker look.
func benchRecipients() int {
	if v, err := strconv.Atoi(os.Getenv("KIRJE_BENCH_RECIPIENTS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}
