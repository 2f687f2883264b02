package worker

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/register"
)

// outcome is one recipient's result and the event that reports it.
type outcome struct {
	seq        uint64 // set by submit
	campaignID int64
	result     campaign.Outcome
	event      *events.Event
	address    string // the recipient's, to scrub should they be erased before the commit
}

// groupLinger is how long the ledger writer waits for a group to fill before committing it.
// Committing whatever had queued the moment the previous commit was done made groups of about
// ten outcomes in a fast send, and PostgreSQL spent as much on the statements and commits of
// each group as on its rows; lingering made groups of 30 to 90 and the send 8 % faster
// (BenchmarkSendCampaign: 3 and 10 ms alike, 25 ms slower). A batch's connection is released
// before the batch waits for its outcomes, so the linger holds no SMTP connection. It widens
// what a kill can send twice (messages sent but not committed) by the messages of 4 ms.
const groupLinger = 4 * time.Millisecond

// maxGroup is the most outcomes one commit takes.
const maxGroup = 1024

// ledgerWriter commits outcomes in groups: senders hand each outcome over without waiting and go
// on to the next message, and the writer commits a group once it is full or groupLinger after
// its first outcome, whichever comes first. One transaction updates the ledger rows and inserts
// their events, so a recorded send and its "sent" event never disagree. What a kill can lose is
// only what is queued, gathered or being committed: messages in flight, which the ledger's lease
// then hands out again.
type ledgerWriter struct {
	db     *pgxpool.Pool
	logger *slog.Logger
	queue  chan outcome
	// flushed is closed and replaced after every commit attempt; waiters compare sequence numbers.
	mu        sync.Mutex
	submitted uint64
	committed uint64              // every outcome up to this sequence number is written (or failed)
	ahead     map[uint64]struct{} // outcomes after committed that are written (or failed) already
	failures  []failure           // the newest groups whose commit failed, at most maxFailures
	flushed   chan struct{}
	done      chan struct{}
}

// failure is a group whose commit failed: its outcomes' sequence numbers lie in [from, to].
type failure struct {
	from, to uint64
	err      error
}

// maxFailures bounds the failed groups remembered for wait. A failed group has been retried for
// seconds before it counts as failed, and a batch waits for its outcomes as soon as it has sent,
// so a batch would have to wait behind more than this many failures to miss its own.
const maxFailures = 64

func newLedgerWriter(db *pgxpool.Pool, logger *slog.Logger) *ledgerWriter {
	return &ledgerWriter{
		db: db, logger: logger,
		queue:   make(chan outcome, 4096),
		ahead:   map[uint64]struct{}{},
		flushed: make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// submit queues an outcome and returns its sequence number, for wait.
func (w *ledgerWriter) submit(o outcome) uint64 {
	w.mu.Lock()
	w.submitted++
	o.seq = w.submitted
	w.mu.Unlock()
	w.queue <- o
	return o.seq
}

// wait blocks until every outcome up to to is committed, and returns the error of a failed
// commit of a group that had outcomes numbered from from to to (possibly other callers'
// outcomes between them: a caller that gets an error treats its outcomes as unrecorded).
func (w *ledgerWriter) wait(ctx context.Context, from, to uint64) error {
	for {
		w.mu.Lock()
		committed, ch := w.committed, w.flushed
		var err error
		if committed >= to {
			for _, f := range w.failures {
				if f.from <= to && f.to >= from {
					err = f.err
				}
			}
		}
		w.mu.Unlock()
		if committed >= to {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// run commits until the queue is closed (by close) and drained.
func (w *ledgerWriter) run() {
	defer close(w.done)
	batch := make([]outcome, 0, maxGroup)
	linger := time.NewTimer(groupLinger)
	for o := range w.queue {
		batch = append(batch[:0], o)
		linger.Reset(groupLinger)
	gather:
		for len(batch) < maxGroup {
			select {
			case o, ok := <-w.queue:
				if !ok {
					break gather
				}
				batch = append(batch, o)
			case <-linger.C:
				break gather
			}
		}
		linger.Stop()
		err := w.commit(batch)
		w.settle(batch, err)
	}
}

// settle marks a group's outcomes as written (or failed) and wakes the waiters. Sequence numbers
// are taken before outcomes enter the queue, so two senders' outcomes may arrive in the other
// order and land in different groups: committed advances only over numbers all settled.
func (w *ledgerWriter) settle(batch []outcome, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	from, to := batch[0].seq, batch[0].seq
	for _, o := range batch {
		w.ahead[o.seq] = struct{}{}
		from, to = min(from, o.seq), max(to, o.seq)
	}
	for {
		if _, ok := w.ahead[w.committed+1]; !ok {
			break
		}
		delete(w.ahead, w.committed+1)
		w.committed++
	}
	if err != nil {
		w.failures = append(w.failures, failure{from: from, to: to, err: err})
		if len(w.failures) > maxFailures {
			w.failures = slices.Delete(w.failures, 0, len(w.failures)-maxFailures)
		}
	}
	close(w.flushed)
	w.flushed = make(chan struct{})
}

func (w *ledgerWriter) close() {
	close(w.queue)
	<-w.done
}

// commit writes a group, retrying briefly: the messages are already sent, and the outcome is
// what keeps them from going again.
func (w *ledgerWriter) commit(batch []outcome) error {
	var err error
	for attempt := range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = pg.InTx(ctx, w.db, func(tx pgx.Tx) error { return writeOutcomes(ctx, tx, batch) })
		cancel()
		if err == nil {
			return nil
		}
		w.logger.Error("worker: committing send outcomes failed", "err", err, "outcomes", len(batch), "attempt", attempt+1)
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	return err
}

// writeOutcomes records a group's outcomes and the events that report them. An outcome whose
// ledger row it does not change was known already. Either it is the same outcome (a group
// committed again after its commit's acknowledgement was lost), whose event is left out so that
// it is reported once; or it is another message to the row (its first worker stalled past the
// lease, and the row was claimed and sent again), whose result is reported too, as that message
// was offered to the relay: sent, bounced or refused. Both are told apart by the message's
// Message-ID, which every outcome of an SMTP transaction carries.
func writeOutcomes(ctx context.Context, tx pgx.Tx, batch []outcome) error {
	batch, err := forgetErased(ctx, tx, batch)
	if err != nil {
		return err
	}
	changed, err := recordOutcomes(ctx, tx, batch)
	if err != nil {
		return err
	}
	known, err := knownMessages(ctx, tx, batch, changed)
	if err != nil {
		return err
	}
	var evs, late []events.Event
	for i, o := range batch {
		switch {
		case o.event == nil:
		case changed[i]:
			evs = append(evs, *o.event)
		case o.result.MessageID != "" && known[[2]int64{o.campaignID, o.result.ContactID}] != o.result.MessageID:
			// Not this row's recorded outcome, so its group may commit again after a lost
			// acknowledgement and find the row unchanged again: the Message-ID keys the event.
			ev := *o.event
			ev.DedupeKey = attemptKey(o.result.MessageID)
			late = append(late, ev)
		}
	}
	// Events of changed rows carry no dedupe key: the ledger rows updated above are what keeps
	// them from being reported twice.
	if _, err := events.Copy(ctx, tx, evs); err != nil {
		return err
	}
	if _, err := events.Insert(ctx, tx, late...); err != nil {
		return err
	}
	return nil
}

// forgetErased protects erasures from the group's writes. It locks the group's contacts against
// erasure until the group commits (an erasure begun meanwhile waits, then scrubs what the group
// wrote) and returns batch with the outcomes of contacts erased already made anonymous, as the
// erasure made their earlier ones: the address is replaced with events.Erased in the ledger
// detail and the event's reason (an SMTP reply may quote it), and the event names no contact.
// Reasons that hold no address ("erased", "suppressed:all") stay.
func forgetErased(ctx context.Context, tx pgx.Tx, batch []outcome) ([]outcome, error) {
	ids := make([]int64, len(batch))
	for i, o := range batch {
		ids[i] = o.result.ContactID
	}
	slices.Sort(ids)
	missing, err := register.New(tx).HoldContacts(ctx, slices.Compact(ids))
	if err != nil || len(missing) == 0 {
		return batch, err
	}
	out := slices.Clone(batch)
	for i, o := range out {
		if !missing[o.result.ContactID] {
			continue
		}
		out[i].result.Detail = events.ScrubAddress(o.result.Detail, o.address)
		if o.event != nil {
			ev := *o.event
			ev.ContactID, ev.Reason = 0, events.ScrubAddress(ev.Reason, o.address)
			ev.Data = maps.Clone(ev.Data)
			delete(ev.Data, "address")
			out[i].event = &ev
		}
	}
	return out, nil
}

// recordOutcomes updates the ledger rows of batch's outcomes and reports which outcomes changed
// their row. A row may have two outcomes in one group (a stalled worker's late result beside the
// new claim's); they are recorded in the order they were submitted, in statements of their own,
// as one statement updates a row once.
func recordOutcomes(ctx context.Context, tx pgx.Tx, batch []outcome) ([]bool, error) {
	changed := make([]bool, len(batch))
	todo := make([]int, len(batch))
	for i := range todo {
		todo[i] = i
	}
	for len(todo) > 0 {
		var later []int
		round := map[int64]map[int64]int{} // campaign → contact → index in batch
		for _, i := range todo {
			o := batch[i]
			contacts := round[o.campaignID]
			if contacts == nil {
				contacts = map[int64]int{}
				round[o.campaignID] = contacts
			}
			if _, twice := contacts[o.result.ContactID]; twice {
				later = append(later, i)
				continue
			}
			contacts[o.result.ContactID] = i
		}
		for id, contacts := range round {
			outs := make([]campaign.Outcome, 0, len(contacts))
			for _, i := range contacts {
				outs = append(outs, batch[i].result)
			}
			rows, err := campaign.RecordChanged(ctx, tx, id, outs)
			if err != nil {
				return nil, fmt.Errorf("record outcomes of campaign %d: %w", id, err)
			}
			for _, c := range rows {
				changed[contacts[c]] = true
			}
		}
		todo = later
	}
	return changed, nil
}

// attemptKey is the dedupe key of the event that reports the result of the message msgID when
// that result is not the one its ledger row records.
func attemptKey(msgID string) string { return "send-attempt:" + msgID }

// knownMessages returns the Message-IDs the ledger holds for the outcomes of batch that carry
// one and did not change their row: none, but for a group committed again or a row sent twice.
func knownMessages(ctx context.Context, tx pgx.Tx, batch []outcome, changed []bool) (map[[2]int64]string, error) {
	unchanged := map[int64][]int64{}
	for i, o := range batch {
		if o.result.MessageID != "" && !changed[i] {
			unchanged[o.campaignID] = append(unchanged[o.campaignID], o.result.ContactID)
		}
	}
	known := map[[2]int64]string{}
	for id, contacts := range unchanged {
		ids, err := campaign.MessageIDs(ctx, tx, id, slices.Compact(slices.Sorted(slices.Values(contacts))))
		if err != nil {
			return nil, err
		}
		for c, m := range ids {
			known[[2]int64{id, c}] = m
		}
	}
	return known, nil
}
