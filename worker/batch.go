package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/emailaddr"
	"github.com/kirje/kirje/internal/ratelimit"
)

// processBatch sends one batch: claim, throttle, then check-render-send each recipient.
func (w *Worker) processBatch(ctx context.Context, t *asynq.Task) error {
	p, err := decode[BatchPayload](t)
	if err != nil {
		return err
	}
	s, err := w.campaigns.get(ctx, p.CampaignID)
	if errors.Is(err, campaign.ErrNotFound) {
		return fmt.Errorf("batch: campaign %d: %w", p.CampaignID, asynq.SkipRetry)
	}
	if err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	if s.campaign.Status != campaign.StatusRunning {
		return nil // paused or cancelled: its rows wait, and resume enqueues them again
	}
	stage := time.Now()
	recipients, err := campaign.Claim(ctx, w.db, p.CampaignID, p.Batch, w.cfg.Lease, w.cfg.BatchSize)
	w.metrics.batch.WithLabelValues("claim").Observe(time.Since(stage).Seconds())
	if errors.Is(err, campaign.ErrNotRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	if len(recipients) == 0 {
		return w.comeBackLater(ctx, p)
	}
	b := &batchRun{w: w, s: s, batch: p.Batch,
		log: w.logger.With("campaign_id", p.CampaignID, "batch", p.Batch)}
	stage = time.Now()
	runErr := b.run(ctx, recipients)
	w.metrics.batch.WithLabelValues("send").Observe(time.Since(stage).Seconds())
	// The outcomes must be committed before the task counts as done, whatever ctx says.
	stage = time.Now()
	if err := w.writer.wait(context.WithoutCancel(ctx), b.firstSeq, b.lastSeq); err != nil {
		return fmt.Errorf("batch: record outcomes: %w", err)
	}
	w.metrics.batch.WithLabelValues("record").Observe(time.Since(stage).Seconds())
	b.scheduleRetry(ctx)
	if runErr != nil {
		return runErr // asynq retries the task, which claims the handed-back rows
	}
	return w.finishIfDone(ctx, p.CampaignID)
}

// comeBackLater handles a batch task that claimed nothing: its rows are done (the campaign may
// be finished), or deferred to a later time (the task came early: asynq keeps times in whole
// seconds), or held by another worker's lease. It schedules the batch again for when its rows
// are due, so deferred rows never wait for the reconciler.
func (w *Worker) comeBackLater(ctx context.Context, p BatchPayload) error {
	due, open, err := campaign.NextDue(ctx, w.db, p.CampaignID, p.Batch)
	if err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	if !open {
		return w.finishIfDone(ctx, p.CampaignID)
	}
	w.enqueueAt(ctx, p.CampaignID, p.Batch, due)
	return nil
}

// enqueueAt schedules a batch task for at. asynq keeps scheduled times in whole seconds and may
// deliver up to a second early, so the task is scheduled a second late instead. The task ID is
// unique to the batch and the moment, so repeated deferrals to one moment make one task.
func (w *Worker) enqueueAt(ctx context.Context, campaignID int64, batch int, at time.Time) {
	key := fmt.Sprintf("at%d", at.UnixMilli()/100)
	in := max(time.Until(at), 0) + time.Second
	_, err := w.queue.EnqueueContext(context.WithoutCancel(ctx), NewBatchTask(w.cfg.Namespace, campaignID, batch, key, in))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		// The rows are safe in the ledger; the reconciler finds them later.
		w.logger.Warn("worker: could not enqueue a deferred batch", "err", err, "campaign_id", campaignID, "batch", batch, "at", at)
	}
}

// batchRun is one execution of a batch.
type batchRun struct {
	w     *Worker
	s     *sendable
	batch int
	log   *slog.Logger
	// firstSeq and lastSeq number the batch's first and last outcome handed to the ledger writer.
	firstSeq, lastSeq uint64
	// retryAt is the earliest time a row handed back with a delay may be claimed again.
	retryAt time.Time
}

func (b *batchRun) run(ctx context.Context, recipients []campaign.Recipient) error {
	todo := make([]campaign.Recipient, 0, len(recipients))
	for _, r := range recipients {
		switch ok, why := mailable(r); {
		case ok:
			todo = append(todo, r)
		default:
			b.drop(r, why)
		}
	}
	send, deferred, wait, err := b.throttle(ctx, todo)
	if err != nil {
		b.handBack(todo, time.Time{}, "throttle unavailable")
		return fmt.Errorf("batch: throttle: %w", err)
	}
	if len(deferred) > 0 {
		b.w.metrics.throttled.Add(float64(len(deferred)))
		b.handBack(deferred, b.w.now().Add(wait), "throttled")
	}
	if len(send) == 0 {
		return nil
	}
	conn, err := b.s.pool.Acquire(ctx)
	if err != nil {
		b.handBack(send, time.Time{}, "no SMTP connection")
		return fmt.Errorf("batch: %w", err)
	}
	defer conn.Release()
	for i, r := range send {
		if ctx.Err() != nil { // shutting down: hand the rest back untouched
			b.handBack(send[i:], time.Time{}, "worker stopped")
			return ctx.Err()
		}
		if err := b.sendOne(ctx, conn, r); err != nil {
			b.handBack(send[i+1:], time.Time{}, "batch stopped")
			return err
		}
	}
	return nil
}

// mailable applies the register's rules as they are now (the contact may have been erased or
// banned since the audience was materialised).
func mailable(r campaign.Recipient) (bool, string) {
	if r.Contact == nil {
		return false, "erased"
	}
	return r.Contact.Mailable()
}

// throttle takes tokens for the batch: per recipient domain and for the relay, in one round trip
// shared by every worker process. What is not granted is deferred until wait has passed.
func (b *batchRun) throttle(ctx context.Context, todo []campaign.Recipient) (send, deferred []campaign.Recipient, wait time.Duration, err error) {
	relay := b.s.pool.Relay()
	if len(todo) == 0 || (b.w.cfg.DomainRate == 0 && relay.Rate == 0) {
		return todo, nil, 0, nil
	}
	index := map[string]int{}
	var wants []ratelimit.Want
	domainOf := make([]int, len(todo))
	for i, r := range todo {
		d := emailaddr.Domain(r.Contact.Email)
		j, ok := index[d]
		if !ok {
			j = len(wants)
			index[d] = j
			wants = append(wants, ratelimit.Want{Bucket: ratelimit.Bucket{
				Key: "domain:" + d, Rate: b.w.cfg.DomainRate, Burst: b.w.cfg.DomainBurst}})
		}
		wants[j].N++
		domainOf[i] = j
	}
	shared := ratelimit.Bucket{Key: "relay:" + relay.Name, Rate: relay.Rate, Burst: max(1, int(relay.Rate))}
	granted, wait, err := b.w.limiter.Reserve(ctx, shared, wants)
	if err != nil {
		return nil, nil, 0, err
	}
	for i, r := range todo {
		if j := domainOf[i]; granted[j] > 0 {
			granted[j]--
			send = append(send, r)
		} else {
			deferred = append(deferred, r)
		}
	}
	return send, deferred, wait, nil
}

// scheduleRetry enqueues the follow-up task for rows handed back with a delay.
func (b *batchRun) scheduleRetry(ctx context.Context) {
	if !b.retryAt.IsZero() {
		b.w.enqueueAt(ctx, b.s.campaign.ID, b.batch, b.retryAt)
	}
}

// record hands one outcome to the ledger writer.
func (b *batchRun) record(r campaign.Recipient, out campaign.Outcome, ev *events.Event) {
	out.ContactID, out.Lease = r.ContactID, r.Lease
	if ev != nil {
		ev.CampaignID, ev.ContactID, ev.BrandID = b.s.campaign.ID, r.ContactID, b.s.brand.ID
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = b.w.now()
		}
	}
	o := outcome{campaignID: b.s.campaign.ID, result: out, event: ev}
	if r.Contact != nil {
		o.address = r.Contact.Email
	}
	b.lastSeq = b.w.writer.submit(o)
	if b.firstSeq == 0 {
		b.firstSeq = b.lastSeq
	}
}

func (b *batchRun) drop(r campaign.Recipient, why string) {
	b.w.metrics.sends.WithLabelValues("dropped").Inc()
	b.record(r, campaign.Outcome{Status: campaign.SendDropped, Detail: why},
		&events.Event{Type: events.Dropped, Reason: why})
}

// handBack returns rows to pending unsent, claimable from notBefore (zero: at once); the claim
// does not count as an attempt.
func (b *batchRun) handBack(rs []campaign.Recipient, notBefore time.Time, why string) {
	for _, r := range rs {
		b.record(r, campaign.Outcome{Status: campaign.SendPending, NotBefore: notBefore, Detail: why, Unattempted: true}, nil)
	}
	b.noteRetry(len(rs), notBefore)
}

// retryLater returns a row whose send failed temporarily to pending, claimable from notBefore.
func (b *batchRun) retryLater(r campaign.Recipient, notBefore time.Time, why string) {
	b.record(r, campaign.Outcome{Status: campaign.SendPending, NotBefore: notBefore, Detail: why}, nil)
	b.noteRetry(1, notBefore)
}

// noteRetry remembers the earliest time handed-back rows become due, for scheduleRetry.
func (b *batchRun) noteRetry(rows int, notBefore time.Time) {
	if rows > 0 && !notBefore.IsZero() && (b.retryAt.IsZero() || notBefore.Before(b.retryAt)) {
		b.retryAt = notBefore
	}
}
