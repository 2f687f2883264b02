package main

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/smtptest"
)

// Never twice, with a real kill: a worker process is SIGKILLed mid-campaign and another started.
// Every recipient gets the message (none lost), and the only repeats are messages that were in
// flight at the kill: accepted by the relay, outcome not yet committed to the ledger.
func TestKilledWorkerNeitherLosesNorRepeatsMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real worker process")
	}
	t.Parallel()
	const n = 3000
	s := newStack(t, smtptest.Options{Discard: true},
		"KIRJE_BATCH_SIZE=50", "KIRJE_SEND_LEASE=2s", "KIRJE_RECONCILE_EVERY=1s", "KIRJE_STALE_AFTER=2s",
		"KIRJE_DOMAIN_RATE=0")
	fixture.Contacts(t, s.db.Pool, "kill.example", n)
	brand := fixture.Brand(t, s.db.Pool, "acme")
	id := strings.TrimSpace(s.kirje(t, "campaigns", "create", "--brand", strconv.FormatInt(brand.ID, 10),
		"--name", "kill test", "--subject", "Hi", "--html", writeFile(t, fixture.DefaultHTML),
		"--at", time.Now().Format(time.RFC3339)))
	campaignID, err := strconv.ParseInt(id, 10, 64)
	require.NoError(t, err)

	first := s.startProcess(t, "worker")
	s.sink.Wait(t, n/3, 60*time.Second)
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_ = first.Wait()

	// What the dead process left: messages the relay accepted, and how many of them the ledger
	// records as sent. The difference was in flight.
	acceptedAtKill := s.sink.Accepted()
	sentAtKill := s.count(t, `SELECT count(*) FROM send_ledger WHERE campaign_id = $1 AND status = 'sent'`, campaignID)
	inFlight := acceptedAtKill - sentAtKill
	require.GreaterOrEqual(t, inFlight, int64(0), "the ledger never claims more than the relay accepted")
	require.Less(t, acceptedAtKill, int64(n), "the kill must land mid-campaign for this test to mean anything")

	s.startProcess(t, "worker")
	s.waitDone(t, campaignID, 90*time.Second)

	perRecipient := map[string]int{}
	for _, m := range s.sink.Messages() {
		perRecipient[m.To[0]]++
	}
	duplicates := int64(0)
	for i := range n {
		got := perRecipient[fmt.Sprintf("user%d@kill.example", i)]
		require.GreaterOrEqual(t, got, 1, "user%d was never sent its message", i)
		duplicates += int64(got - 1)
	}
	t.Logf("accepted at kill %d, recorded sent %d, in flight %d, repeated after restart %d",
		acceptedAtKill, sentAtKill, inFlight, duplicates)
	assert.LessOrEqual(t, duplicates, inFlight, "only messages in flight at the kill may go twice")
	assert.EqualValues(t, n, s.count(t, `SELECT count(*) FROM send_ledger WHERE campaign_id = $1 AND status = 'sent'`, campaignID))
}

// SIGTERM mid-campaign: the worker stops taking batches, finishes or hands back the ones it
// runs, commits every outcome and exits 0. Nothing is claimed by the dead process afterwards, so
// a new worker completes the campaign at once and nobody gets a second message.
func TestWorkerShutsDownGracefullyOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and stops a real worker process")
	}
	t.Parallel()
	const n = 2000
	s := newStack(t, smtptest.Options{Discard: true}, "KIRJE_BATCH_SIZE=50", "KIRJE_DOMAIN_RATE=0",
		// A long lease: if a row were left claimed, the second worker could not finish in time.
		"KIRJE_SEND_LEASE=10m", "KIRJE_RECONCILE_EVERY=1s", "KIRJE_STALE_AFTER=2s")
	s.env = append(s.env, "KIRJE_SMTP_URL=smtp://"+s.sink.Addr+"?pool=4&rate=800")
	fixture.Contacts(t, s.db.Pool, "term.example", n)
	brand := fixture.Brand(t, s.db.Pool, "acme")
	id := strings.TrimSpace(s.kirje(t, "campaigns", "create", "--brand", "acme", "--name", "term",
		"--subject", "Hi", "--html", writeFile(t, fixture.DefaultHTML), "--at", time.Now().Format(time.RFC3339)))
	_ = brand
	campaignID, err := strconv.ParseInt(id, 10, 64)
	require.NoError(t, err)

	first := s.startProcess(t, "worker")
	s.sink.Wait(t, n/4, 60*time.Second)
	require.NoError(t, first.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- first.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "the worker must exit cleanly on SIGTERM")
	case <-time.After(40 * time.Second):
		t.Fatal("the worker did not exit within 40 s of SIGTERM")
	}
	assert.Zero(t, s.count(t, `SELECT count(*) FROM send_ledger WHERE campaign_id = $1 AND status = 'sending'`, campaignID),
		"every claimed row is recorded or handed back")
	assert.Equal(t, s.sink.Accepted(), s.count(t, `SELECT count(*) FROM send_ledger WHERE campaign_id = $1 AND status = 'sent'`, campaignID),
		"every message the relay accepted is recorded as sent")

	s.startProcess(t, "worker")
	s.waitDone(t, campaignID, 60*time.Second)
	assert.EqualValues(t, n, s.sink.Accepted(), "no message twice, none lost")
}
