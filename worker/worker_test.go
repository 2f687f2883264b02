package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// asynq routes an unregistered type to the longest registered prefix; every type must have its
// own handler, reached by its exact name.
func TestEveryTaskTypeHasItsHandler(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	types := []string{TypeCampaignStart, TypeCampaignBatch, TypeReconcile}
	assert.Len(t, b.w.handlers(), len(types), "a task type without a test entry here")
	mux := b.w.mux()
	for _, typ := range types {
		h, pattern := mux.Handler(asynq.NewTask(typ, nil))
		require.NotNil(t, h, typ)
		assert.Equal(t, typ, pattern, "%s must be registered under its exact name", typ)
	}
	_, pattern := mux.Handler(asynq.NewTask("campaign:startx", nil))
	assert.NotEqual(t, "campaign:startx", pattern)
}

func TestBadPayloadIsNotRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	for _, typ := range []string{TypeCampaignStart, TypeCampaignBatch} {
		err := b.w.mux().ProcessTask(context.Background(), asynq.NewTask(typ, []byte("{not json")))
		require.ErrorIs(t, err, asynq.SkipRetry, typ)
	}
}

// A whole campaign through the real queue: the segment targets by job title; banned contacts,
// b2c contacts without consent and suppressed addresses are dropped; everyone else gets exactly
// one message with the unsubscribe headers.
func TestCampaignSendsOnceToEachMailableRecipient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, options{cfg: Config{BatchSize: 7}})
	db := b.db.Pool
	reg := register.New(db)
	var want []string
	for i := range 40 {
		c := fixture.Contact(t, db, fmt.Sprintf("buyer%d@corp%d.example", i, i%3), "Head of Purchasing")
		want = append(want, c.Email)
	}
	fixture.Contact(t, db, "ceo@corp1.example", "CEO") // outside the segment
	banned := fixture.Contact(t, db, "banned@corp1.example", "Purchasing Assistant")
	_, err := reg.RecordPermission(ctx, banned.ID, register.ActionBan, "phone", "staff", "")
	require.NoError(t, err)
	_, _, err = reg.UpsertContact(ctx, register.ContactInput{Email: "private@home.example", JobTitle: "purchaser", Kind: register.B2C})
	require.NoError(t, err)
	suppressed := fixture.Contact(t, db, "gone@corp2.example", "purchasing")
	_, _, err = b.list.AddOne(ctx, suppression.Input{Address: suppressed.Email, Reason: suppression.ReasonManual})
	require.NoError(t, err)

	b.run(t)
	c := b.schedule(t, `{"field":"title","op":"contains","value":"purchas"}`)
	b.sink.Wait(t, int64(len(want)), 30*time.Second)
	b.waitStatus(t, c.ID, campaign.StatusDone, 30*time.Second)

	counts := b.counts(t, c.ID)
	assert.EqualValues(t, len(want)+3, counts.Audience)
	assert.EqualValues(t, len(want), counts.Sent)
	assert.EqualValues(t, 3, counts.Dropped)
	assert.Zero(t, counts.Pending+counts.Sending)
	assert.EqualValues(t, len(want), b.sink.Accepted(), "exactly one message per mailable recipient")
	for _, email := range want {
		msgs := b.sink.To(email)
		require.Len(t, msgs, 1, email)
		lu := msgs[0].Header("List-Unsubscribe")
		assert.Regexp(t, `^<https://t\.kirje\.test/u/[A-Za-z0-9_-]+>, <mailto:u\+[a-z0-9]+@bounce\.kirje\.test>$`, lu)
		assert.Equal(t, "List-Unsubscribe=One-Click", msgs[0].Header("List-Unsubscribe-Post"))
		assert.NotEmpty(t, msgs[0].Header("Message-ID"))
	}
	for email, why := range map[string]string{"banned@corp1.example": "banned", "gone@corp2.example": "suppressed:address"} {
		status, detail := b.ledger(t, c.ID, email)
		assert.Equal(t, "dropped", status, email)
		assert.Equal(t, why, detail, email)
	}
	var sentEvents int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'sent' AND campaign_id = $1`, c.ID).Scan(&sentEvents))
	assert.Equal(t, len(want), sentEvents)
	// Every drop is reported, those made when the audience was materialised too.
	var dropped []string
	require.NoError(t, db.QueryRow(ctx, `
SELECT array_agg(k.email || ' ' || e.reason ORDER BY k.email) FROM events e JOIN contacts k ON k.id = e.contact_id
WHERE e.type = 'dropped' AND e.campaign_id = $1 AND e.brand_id = $2`, c.ID, b.brand.ID).Scan(&dropped))
	assert.Equal(t, []string{"banned@corp1.example banned", "gone@corp2.example suppressed:address",
		"private@home.example no_consent"}, dropped)
}

// The check runs right before each message: an address suppressed after the audience was
// materialised and its batch enqueued is still not mailed.
func TestAddressSuppressedAfterEnqueueIsNotSent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, options{})
	b.startWriter(t)
	fixture.Contacts(t, b.db.Pool, "late.example", 5)
	c := fixture.Scheduled(t, b.db.Pool, b.brand, "", time.Now())
	require.NoError(t, b.w.processStart(ctx, startTask(c)))

	_, _, err := b.list.AddOne(ctx, suppression.Input{Address: "user3@late.example", Reason: suppression.ReasonUnsubscribe})
	require.NoError(t, err)
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 0)))

	assert.EqualValues(t, 4, b.sink.Accepted())
	assert.Empty(t, b.sink.To("user3@late.example"))
	status, detail := b.ledger(t, c.ID, "user3@late.example")
	assert.Equal(t, "dropped", status)
	assert.Equal(t, "suppressed:address", detail)
}

// If the suppression list cannot be checked, nothing is sent: the batch fails (asynq retries
// it) and its rows wait. Once the mirror is back, the retry sends.
func TestSendFailsClosedWhenSuppressionCannotBeChecked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, options{unready: true})
	b.startWriter(t)
	fixture.Contacts(t, b.db.Pool, "closed.example", 3)
	c := fixture.Scheduled(t, b.db.Pool, b.brand, "", time.Now())
	require.NoError(t, b.w.processStart(ctx, startTask(c)))

	err := b.w.processBatch(ctx, batchTask(c.ID, 0))
	require.ErrorIs(t, err, suppression.ErrUnavailable)
	assert.Zero(t, b.sink.Accepted(), "nothing may be sent while suppression cannot be checked")
	counts := b.counts(t, c.ID)
	assert.EqualValues(t, 3, counts.Pending, "the rows wait for a retry")

	require.NoError(t, b.list.EnsureReady(ctx))
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 0)))
	assert.EqualValues(t, 3, b.sink.Accepted())
}

// SMTP replies decide the outcome: 5.1.1 is a hard bounce and suppresses the address; 5.7.1 is
// a block of the sender and suppresses nothing; 4xx defers the recipient with backoff.
func TestSMTPRepliesDecideOutcomes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, options{rcpt: rcptReplies(map[string]*smtp.SMTPError{
		"user0@replies.example": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"},
		"user1@replies.example": {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Blocked by policy"},
		"user2@replies.example": {Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try later"},
	})})
	b.startWriter(t)
	fixture.Contacts(t, b.db.Pool, "replies.example", 4)
	c := fixture.Scheduled(t, b.db.Pool, b.brand, "", time.Now())
	require.NoError(t, b.w.processStart(ctx, startTask(c)))
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 0)))

	tests := []struct {
		email, status, detail string
		suppressed            bool
		event                 string // the event that reports the outcome, "" for none
	}{
		{"user0@replies.example", "bounced", "550 5.1.1", true, "bounce"},
		{"user1@replies.example", "failed", "550 5.7.1", false, "failed"},
		{"user2@replies.example", "pending", "451 4.3.0", false, ""},
		{"user3@replies.example", "sent", "", false, "sent"},
	}
	for _, tt := range tests {
		status, detail := b.ledger(t, c.ID, tt.email)
		assert.Equal(t, tt.status, status, tt.email)
		assert.True(t, strings.HasPrefix(detail, tt.detail), "%s: detail %q", tt.email, detail)
		v, err := b.list.Check(ctx, b.brand.ID, tt.email)
		require.NoError(t, err)
		assert.Equal(t, tt.suppressed, v.Suppressed, tt.email)
		if tt.event == "" {
			continue
		}
		// The message offered is named in the row and in its event, so that a late result of
		// a stalled worker can be told from this one.
		var rowID, eventID string
		require.NoError(t, b.db.Pool.QueryRow(ctx, `
SELECT coalesce(l.message_id, ''), coalesce(e.data->>'message_id', '')
FROM send_ledger l JOIN contacts c ON c.id = l.contact_id
JOIN events e ON e.campaign_id = l.campaign_id AND e.contact_id = l.contact_id AND e.type = $3
WHERE l.campaign_id = $1 AND c.email = $2`, c.ID, tt.email, tt.event).Scan(&rowID, &eventID), tt.email)
		assert.NotEmpty(t, rowID, tt.email)
		assert.Equal(t, rowID, eventID, tt.email)
	}
	var notBefore time.Time
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT l.not_before FROM send_ledger l JOIN contacts c ON c.id = l.contact_id
		WHERE c.email = 'user2@replies.example'`).Scan(&notBefore))
	assert.WithinDuration(t, time.Now().Add(time.Minute), notBefore, 10*time.Second, "a 4xx waits with backoff")
}

// Per-domain throttling defers what exceeds the rate instead of dropping it or holding a slot.
func TestThrottledRecipientsAreDeferredNotDropped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, options{cfg: Config{DomainRate: 1, DomainBurst: 3}})
	b.startWriter(t)
	fixture.Contacts(t, b.db.Pool, "slow.example", 8)
	c := fixture.Scheduled(t, b.db.Pool, b.brand, "", time.Now())
	require.NoError(t, b.w.processStart(ctx, startTask(c)))
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 0)))

	assert.EqualValues(t, 3, b.sink.Accepted(), "the burst goes at once")
	counts := b.counts(t, c.ID)
	assert.EqualValues(t, 5, counts.Pending, "the rest is deferred, not dropped")
	assert.Zero(t, counts.Dropped+counts.Failed)
	var attempted int
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM send_ledger WHERE campaign_id = $1 AND status = 'pending' AND attempts > 0`, c.ID).Scan(&attempted))
	assert.Zero(t, attempted, "a throttled row was not attempted: its claim must not count toward the retry limit")
	info, err := asynq.NewInspectorFromRedisClient(b.rd.Client).GetQueueInfo(b.rd.Prefix + queueSend)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, info.Scheduled, 1, "a follow-up task is scheduled for the deferred rows")
}

// Pause takes effect at the next batch; a re-run batch or re-enqueued start sends nothing twice.
func TestPauseAndRerunsSendNothingTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, options{cfg: Config{BatchSize: 5}})
	b.startWriter(t)
	fixture.Contacts(t, b.db.Pool, "twice.example", 10)
	c := fixture.Scheduled(t, b.db.Pool, b.brand, "", time.Now())
	require.NoError(t, b.w.processStart(ctx, startTask(c)))
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 0)))
	require.EqualValues(t, 5, b.sink.Accepted())

	// Re-running the first batch and the start task sends nothing more.
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 0)))
	require.NoError(t, b.w.processStart(ctx, startTask(c)))
	assert.EqualValues(t, 5, b.sink.Accepted())

	_, err := campaign.New(b.db.Pool).Pause(ctx, c.ID)
	require.NoError(t, err)
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 1)))
	assert.EqualValues(t, 5, b.sink.Accepted(), "a paused campaign sends nothing")

	_, err = campaign.New(b.db.Pool).Resume(ctx, c.ID)
	require.NoError(t, err)
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 1)))
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 1)))
	assert.EqualValues(t, 10, b.sink.Accepted())
	for i := range 10 {
		assert.Len(t, b.sink.To(fmt.Sprintf("user%d@twice.example", i)), 1)
	}
	got, err := campaign.New(b.db.Pool).Get(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, campaign.StatusDone, got.Status)
}

func startTask(c campaign.Campaign) *asynq.Task {
	p, _ := json.Marshal(StartPayload{CampaignID: c.ID, ScheduleVersion: c.ScheduleVersion})
	return asynq.NewTask(TypeCampaignStart, p)
}

func batchTask(campaignID int64, batch int) *asynq.Task {
	p, _ := json.Marshal(BatchPayload{CampaignID: campaignID, Batch: batch})
	return asynq.NewTask(TypeCampaignBatch, p)
}

// asynq may deliver a scheduled task up to a second early; a batch task that finds its rows not
// yet due schedules itself again for when they are, instead of leaving them to the reconciler.
func TestEarlyBatchTaskComesBackWhenItsRowsAreDue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, options{cfg: Config{DomainRate: 0.5, DomainBurst: 1}})
	b.startWriter(t)
	fixture.Contacts(t, b.db.Pool, "early.example", 3)
	c := fixture.Scheduled(t, b.db.Pool, b.brand, "", time.Now())
	require.NoError(t, b.w.processStart(ctx, startTask(c)))
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 0)))
	require.EqualValues(t, 1, b.sink.Accepted())

	inspector := asynq.NewInspectorFromRedisClient(b.rd.Client)
	queue := b.rd.Prefix + queueSend
	_, err := inspector.DeleteAllScheduledTasks(queue)
	require.NoError(t, err)
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 0)), "an early task")
	assert.EqualValues(t, 1, b.sink.Accepted(), "nothing is due yet")
	info, err := inspector.GetQueueInfo(queue)
	require.NoError(t, err)
	assert.Equal(t, 1, info.Scheduled, "the early task schedules the batch for when its rows are due")
}
