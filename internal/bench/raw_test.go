package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/kirje/kirje/mailer/mailertest"
)

// The raw baseline runs in a process of its own, as Kirje's worker does: in the benchmark's own
// process, go-mail and the sink would hand each SMTP reply over inside one Go scheduler, which no
// separate sender can, and the ratio would compare unlike things. (The in-process rate is
// reported too, for reference.)

const (
	rawEnv        = "KIRJE_BENCH_RAW_CLIENT"
	rawMessageEnv = "KIRJE_BENCH_RAW_MESSAGE"
)

// TestRawClientProcess is not a test: it is the raw baseline's sender when the benchmark starts
// this test binary again with KIRJE_BENCH_RAW_CLIENT="addr conns n" and KIRJE_BENCH_RAW_MESSAGE
// naming the file that holds the message to send. It prints the result as JSON.
func TestRawClientProcess(t *testing.T) {
	spec := os.Getenv(rawEnv)
	if spec == "" {
		t.Skip("the raw baseline's sender process; run by BenchmarkSendCampaign")
	}
	var addr string
	var conns, n int
	if _, err := fmt.Sscanf(spec, "%s %d %d", &addr, &conns, &n); err != nil {
		t.Fatalf("%s=%q: %v", rawEnv, spec, err)
	}
	eml, err := os.ReadFile(os.Getenv(rawMessageEnv))
	if err != nil {
		t.Fatal(err)
	}
	cpu0, io0 := processCPU(), readIOCalls("self")
	res, err := mailertest.RawSend(context.Background(), addr, conns, n, prebuilt(eml))
	cpu, io1 := processCPU()-cpu0, readIOCalls("self")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"messages": res.Messages, "conns": res.Conns, "elapsed_ns": res.Elapsed.Nanoseconds(),
		"cpu_ns": cpu.Nanoseconds(), "reads": io1.reads - io0.reads, "writes": io1.writes - io0.writes})
	fmt.Println("RAW " + string(b))
}

// prebuilt makes go-mail messages of a message as the sink received it: parsed once per
// connection, and encoded by go-mail again at every send, as the worker's messages are.
func prebuilt(eml []byte) func(int) (*mail.Msg, error) {
	return func(int) (*mail.Msg, error) { return mail.EMLToMsgFromString(string(eml)) }
}

// prebuiltSize is how many bytes go-mail writes for eml once parsed: go-mail adds its own
// User-Agent and X-Mailer headers, so the baseline's message is slightly larger than Kirje's.
func prebuiltSize(eml []byte) (int64, error) {
	m, err := mail.EMLToMsgFromString(string(eml))
	if err != nil {
		return 0, err
	}
	return m.WriteTo(io.Discard)
}

// rawInProcess is the baseline with go-mail in the benchmark's process.
func rawInProcess(b *testing.B, addr string, n int, eml []byte) mailertest.Result {
	b.Helper()
	res, err := mailertest.RawSend(context.Background(), addr, benchConns, n, prebuilt(eml))
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// rawRun is the raw baseline's result with the CPU time its two sides used: the sender process
// and the sink, which runs in the benchmark's process.
type rawRun struct {
	mailertest.Result
	senderCPU, sinkCPU time.Duration
	syscalls           string // the sender's and the sink's reads and writes per message
}

// cpuPerMessage is the CPU time sender and sink used per message together.
func (r rawRun) cpuPerMessage() time.Duration {
	return (r.senderCPU + r.sinkCPU) / time.Duration(max(r.Messages, 1))
}

func (r rawRun) String() string {
	n := time.Duration(max(r.Messages, 1))
	return fmt.Sprintf("%v; CPU per message: sender %v, sink %v; system calls per message: %s", r.Result,
		(r.senderCPU / n).Round(time.Microsecond), (r.sinkCPU / n).Round(time.Microsecond), r.syscalls)
}

// processCPU is the user and system CPU time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rawOwnProcess is the baseline with go-mail in a process of its own.
func rawOwnProcess(b *testing.B, addr string, n int, eml []byte) rawRun {
	b.Helper()
	file := filepath.Join(b.TempDir(), "message.eml")
	if err := os.WriteFile(file, eml, 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRawClientProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), rawEnv+"="+addr+" "+strconv.Itoa(benchConns)+" "+strconv.Itoa(n), rawMessageEnv+"="+file)
	sink0, sinkIO := processCPU(), readIOCalls("self")
	out, err := cmd.CombinedOutput()
	sinkCPU := processCPU() - sink0
	// Linux adds a reaped child's I/O counts to its parent's: take the sender's off again.
	sinkEnd := readIOCalls("self")
	if err != nil {
		b.Fatalf("raw sender: %v\n%s", err, out)
	}
	var r struct {
		Messages, Conns int
		ElapsedNS       int64 `json:"elapsed_ns"`
		CPUNS           int64 `json:"cpu_ns"`
		Reads, Writes   int64
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "RAW "); ok {
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				b.Fatal(err)
			}
			return rawRun{Result: mailertest.Result{Messages: r.Messages, Conns: r.Conns, Elapsed: time.Duration(r.ElapsedNS)},
				senderCPU: time.Duration(r.CPUNS), sinkCPU: sinkCPU,
				syscalls: "sender " + ioCalls{r.Reads, r.Writes}.perMessage(ioCalls{}, r.Messages) + ", sink " +
					ioCalls{sinkEnd.reads - r.Reads, sinkEnd.writes - r.Writes}.perMessage(sinkIO, r.Messages)}
		}
	}
	b.Fatalf("raw sender printed no result:\n%s", out)
	return rawRun{}
}
