package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/worker"
)

const benchConns = 10

// campaignHTML is the body of the benchmark campaign: six sections with a tracked link each.
// With the default layout and the text part derived from it, a message is about 7.9 KB.
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
// and measures in the same run the raw rate of go-mail pushing an equivalent prebuilt message
// into the same sink over the same number of connections, from a process of its own as the
// worker is. The prebuilt message is one the worker sent for this campaign (a one-recipient
// probe of the same content, sent first), so both sides push the same bytes. Targets: ≥ 0.8×
// raw; start latency (scheduled time → first message) under 1 s.
func BenchmarkSendCampaign(b *testing.B) {
	n := benchRecipients()
	for range b.N {
		sink, err := smtptest.Listen("127.0.0.1:0", smtptest.Options{CountOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		defer sink.Close()
		rig := newSendRig(b, sink, n)
		inProcess := rawInProcess(b, sink.Addr, n, rig.sample)
		raw := rawOwnProcess(b, sink.Addr, n, rig.sample)
		r := rig.run(b)
		b.ReportMetric(r.endToEnd(), "kirje_msgs/s")
		b.ReportMetric(r.sending(), "kirje_sending_msgs/s")
		b.ReportMetric(raw.PerSecond(), "raw_msgs/s")
		b.ReportMetric(inProcess.PerSecond(), "raw_in_process_msgs/s")
		b.ReportMetric(r.endToEnd()/raw.PerSecond(), "ratio_end_to_end")
		b.ReportMetric(r.sending()/raw.PerSecond(), "ratio_sending")
		b.ReportMetric(float64(r.startLatency().Milliseconds()), "start_latency_ms")
		b.ReportMetric(float64(r.peakRSS)/(1<<20), "worker_peak_rss_MB")
		kirjeCPU := r.cpuPerMessage(sendProcesses...)
		b.ReportMetric(float64(raw.cpuPerMessage().Microseconds()), "raw_cpu_us/msg")
		b.ReportMetric(float64(kirjeCPU.Microseconds()), "kirje_cpu_us/msg")
		b.ReportMetric(raw.cpuPerMessage().Seconds()/kirjeCPU.Seconds(), "ratio_cpu")
		size, err := prebuiltSize(rig.sample)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("message: %d bytes as the worker sent it to the probe, %d as the raw sender sends it", len(rig.sample), size)
		b.Logf("raw, go-mail in its own process: %v", raw)
		b.Logf("raw, go-mail in the sink's process (reference only): %v", inProcess)
		b.Logf("kirje: %v", r)
	}
}

// BenchmarkWorkerMemory sends a 1,000,000-recipient campaign and reports the worker process's
// peak resident set size. Target: under 100 MB.
func BenchmarkWorkerMemory(b *testing.B) {
	const n = 1_000_000
	for range b.N {
		sink, err := smtptest.Listen("127.0.0.1:0", smtptest.Options{CountOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		defer sink.Close()
		r := newSendRig(b, sink, n).run(b)
		b.ReportMetric(float64(r.peakRSS)/(1<<20), "worker_peak_rss_MB")
		b.ReportMetric(r.endToEnd(), "kirje_msgs/s")
		b.Logf("kirje: %v", r)
	}
}

// campaignRun is what one end-to-end send measured.
type campaignRun struct {
	n               int
	at, first, last time.Time
	peakRSS         int64
	cpu             cpuShares // who used the CPU while the campaign was being sent
	window          time.Duration
	syscalls        string // the worker's and the sink's reads and writes per message
}

// sendProcesses are the processes a send keeps busy: the worker, the sink (in the benchmark's
// process), PostgreSQL and Redis.
var sendProcesses = []string{"kirje", "bench.test", "postgres", "redis-server"}

// cpuPerMessage is the CPU time the named processes used per message while the campaign was
// being sent. Unlike the rates it hardly moves with the machine's load, so it shows what a
// change to the send path costs or saves; ratio_cpu compares it with the raw baseline's, which
// is the throughput ratio a machine with no idle time would give.
func (r campaignRun) cpuPerMessage(names ...string) time.Duration {
	var cores float64
	for _, c := range r.cpu {
		if slices.Contains(names, c.Name) {
			cores += c.Cores
		}
	}
	return time.Duration(cores * float64(r.window) / float64(max(r.n-1, 1)))
}

func (r campaignRun) endToEnd() float64           { return float64(r.n) / r.last.Sub(r.at).Seconds() }
func (r campaignRun) sending() float64            { return float64(r.n) / r.last.Sub(r.first).Seconds() }
func (r campaignRun) startLatency() time.Duration { return r.first.Sub(r.at) }

func (r campaignRun) String() string {
	per := func(name string) time.Duration { return r.cpuPerMessage(name).Round(time.Microsecond) }
	return fmt.Sprintf("CPU while sending (cores): %s; per message: worker %v, sink %v, postgres %v, redis %v; system calls per message: %s; ",
		r.cpu.top(6), per("kirje"), per("bench.test"), per("postgres"), per("redis-server"), r.syscalls) + fmt.Sprintf("%d messages, scheduled → first %v, → last %v (%.0f msgs/s end to end, %.0f msgs/s once sending), worker peak RSS %.0f MB",
		r.n, r.startLatency().Round(time.Millisecond), r.last.Sub(r.at).Round(time.Millisecond), r.endToEnd(), r.sending(), float64(r.peakRSS)/(1<<20))
}

// sendRig is a register of n contacts, a draft campaign to all of them, and a running `kirje
// worker` process sending into the sink.
type sendRig struct {
	n      int
	sink   *smtptest.Sink
	db     *pgtest.DB
	rd     *redistest.Redis
	proc   *process
	main   campaign.Campaign
	sample []byte // the probe's message as the sink received it
}

// newSendRig creates n contacts and the campaign, starts the worker, and sends the probe: a
// campaign of the same brand and content to one of the contacts, whose message is the raw
// baseline's. The sink must not have accepted a message before.
func newSendRig(b *testing.B, sink *smtptest.Sink, n int) *sendRig {
	b.Helper()
	ctx := context.Background()
	db, rd := pgtest.New(b), redistest.New(b)
	fixture.Contacts(b, db.Pool, "bench.example", n)
	brand := fixture.Brand(b, db.Pool, "bench")
	rig := &sendRig{n: n, sink: sink, db: db, rd: rd, main: createCampaign(b, db, brand, "bench", campaign.Filter{})}
	probe := createCampaign(b, db, brand, "bench probe", campaign.Filter{Field: "email", Op: campaign.OpEq,
		Value: json.RawMessage(fmt.Sprintf("%q", fmt.Sprintf("user%d@bench.example", n/2)))})
	env := []string{
		"KIRJE_DATABASE_URL=" + db.URL, "KIRJE_REDIS_URL=" + rd.URL, "KIRJE_NAMESPACE=" + rd.Prefix,
		"KIRJE_PUBLIC_URL=https://t.kirje.test", "KIRJE_SECRET=bench-secret-0123456789abcdef01234567",
		fmt.Sprintf("KIRJE_SMTP_URL=smtp://%s?pool=%d", sink.Addr, benchConns),
		fmt.Sprintf("KIRJE_CONCURRENCY=%d", 2*benchConns), "KIRJE_DOMAIN_RATE=0", "KIRJE_LOG_LEVEL=warn",
		"KIRJE_METRICS_ADDR=" + os.Getenv("KIRJE_BENCH_METRICS_ADDR"),
	}
	rig.proc = startKirje(b, env, "worker")
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rig.schedule(b, probe, time.Now())
	if err := sink.WaitContext(waitCtx, 1); err != nil {
		b.Fatalf("waiting for the probe's message: %v", err)
	}
	m, ok := sink.First()
	if !ok {
		b.Fatal("the sink kept no probe message")
	}
	rig.sample = m.Data
	return rig
}

func (rig *sendRig) schedule(b *testing.B, c campaign.Campaign, at time.Time) {
	b.Helper()
	ctx := context.Background()
	c, err := campaign.New(rig.db.Pool).Schedule(ctx, c.ID, at)
	if err != nil {
		b.Fatal(err)
	}
	if err := worker.NewScheduler(rig.db.Pool, rig.rd.Client, rig.rd.Prefix).Scheduled(ctx, c); err != nil {
		b.Fatal(err)
	}
}

// run schedules the campaign a few seconds ahead (so that start latency measures the scheduler,
// not whatever ran before) and waits for its last message.
func (rig *sendRig) run(b *testing.B) campaignRun {
	b.Helper()
	before := rig.sink.Accepted()
	rig.sink.ResetSpan()
	at := time.Now().Add(3 * time.Second)
	rig.schedule(b, rig.main, at)
	waitCtx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := rig.sink.WaitContext(waitCtx, before+1); err != nil {
		b.Fatalf("waiting for the first message: %v", err)
	}
	pid := strconv.Itoa(rig.proc.cmd.Process.Pid)
	cpuFrom, cpuStart := snapshotCPU(), time.Now()
	workerIO, sinkIO := readIOCalls(pid), readIOCalls("self")
	if err := rig.sink.WaitContext(waitCtx, before+int64(rig.n)); err != nil {
		b.Fatalf("waiting for %d messages: %v (have %d)", rig.n, err, rig.sink.Accepted()-before)
	}
	window := time.Since(cpuStart)
	cpu := snapshotCPU().since(cpuFrom, window)
	r := campaignRun{n: rig.n, at: at, window: window}
	r.syscalls = fmt.Sprintf("worker %s, sink %s", readIOCalls(pid).perMessage(workerIO, rig.n-1),
		readIOCalls("self").perMessage(sinkIO, rig.n-1))
	r.first, r.last = rig.sink.Span()
	r.peakRSS, _ = rig.proc.peakRSS()
	r.cpu = cpu
	return r
}

func createCampaign(b *testing.B, db *pgtest.DB, brand register.Brand, name string, segment campaign.Filter) campaign.Campaign {
	b.Helper()
	c, err := campaign.New(db.Pool).Create(context.Background(), campaign.Input{
		BrandID: brand.ID, Name: name, Subject: "Kevään uutuudet hankintaan",
		HTML: campaignHTML(), Segment: segment, CreatedBy: "bench",
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
