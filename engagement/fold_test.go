package engagement_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/engagement"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
)

// clock is a test's settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var day0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func at(day int, hm string) time.Time {
	d, _ := time.ParseDuration(hm)
	return day0.AddDate(0, 0, day).Add(d)
}

// script is the scripted sequence: Aino is sent to, opens and clicks (a machine too), opens and
// clicks again on days 11 and 12 (the edges of the windows), is sent to again on day 40, opens,
// and unsubscribes the next day. Bertta's only open is Apple's proxy.
// Cecilia gets events and is erased before the fold.
type script struct {
	aino, bertta, cecilia int64
}

func writeScript(t *testing.T, db *pgtest.DB) script {
	t.Helper()
	s := script{
		aino:    fixture.Contact(t, db.Pool, "aino@asiakas.example", "CEO").ID,
		bertta:  fixture.Contact(t, db.Pool, "bertta@asiakas.example", "CFO").ID,
		cecilia: fixture.Contact(t, db.Pool, "cecilia@asiakas.example", "CTO").ID,
	}
	ev := func(typ events.Type, contact int64, when time.Time, machine bool) events.Event {
		return events.Event{Type: typ, ContactID: contact, CampaignID: 1, OccurredAt: when, Machine: machine}
	}
	_, err := events.Insert(context.Background(), db.Pool,
		ev(events.Sent, s.aino, at(0, "0m"), false),
		ev(events.Open, s.aino, at(0, "5m"), false),
		ev(events.Open, s.aino, at(0, "6m"), true),
		ev(events.Click, s.aino, at(0, "7m"), false),
		ev(events.Click, s.aino, at(0, "7m"), true),
		ev(events.Sent, s.bertta, at(0, "0m"), false),
		ev(events.Open, s.bertta, at(0, "1m"), true),
		ev(events.Sent, s.cecilia, at(0, "0m"), false),
		ev(events.Open, s.cecilia, at(0, "3m"), false),
		ev(events.Dropped, s.bertta, at(0, "0m"), false),
		ev(events.SuppressionAdded, 0, at(1, "0m"), false),
		ev(events.Open, s.aino, at(11, "0m"), false),  // 30 days before day 41: just outside its window
		ev(events.Click, s.aino, at(12, "0m"), false), // just inside
		ev(events.Sent, s.aino, at(40, "0m"), false),
		ev(events.Open, s.aino, at(40, "30m"), false),
		ev(events.Unsubscribe, s.aino, at(41, "0m"), false),
	)
	require.NoError(t, err)
	_, err = db.Pool.Exec(context.Background(), `DELETE FROM contacts WHERE id = $1`, s.cecilia)
	require.NoError(t, err)
	return s
}

// decay is one term of the documented score.
func decay(weight float64, from, to time.Time) float64 {
	return weight * math.Pow(0.5, to.Sub(from).Hours()/engagement.HalfLife.Hours())
}

func TestFoldScriptedSequence(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	s := writeScript(t, db)
	clk := &clock{t: at(41, "2h")}
	// A batch of 3 forces many transactions: the result must not depend on where batches cut.
	f := engagement.NewFolder(db.Pool, engagement.FolderConfig{Batch: 3, Now: clk.Now})
	r := runUntil(t, f, 16)
	assert.EqualValues(t, 16, r.Events)

	foldedAt := clk.Now()
	aino := get(t, db, s.aino, foldedAt)
	assert.Equal(t, at(40, "0m"), *aino.LastSentAt)
	assert.Equal(t, at(40, "30m"), *aino.LastOpenAt)
	assert.Equal(t, at(12, "0m"), *aino.LastClickAt)
	assert.Equal(t, at(41, "0m"), *aino.LastUnsubscribeAt)
	// As of day 41 (2026-04-11): the last 30 days are 03-13 (day 12) … 04-11.
	assert.Equal(t, [6]int64{1, 2, 1, 3, 1, 2}, counts(aino))
	wantScore := decay(engagement.OpenWeight, at(0, "5m"), foldedAt) + decay(engagement.ClickWeight, at(0, "7m"), foldedAt) +
		decay(engagement.OpenWeight, at(11, "0m"), foldedAt) + decay(engagement.ClickWeight, at(12, "0m"), foldedAt) +
		decay(engagement.OpenWeight, at(40, "30m"), foldedAt)
	assert.InDelta(t, wantScore, aino.Score, 1e-9)
	assert.Equal(t, aino, stored(t, db, s.aino, foldedAt), "stored windows equal the computed ones")

	bertta := get(t, db, s.bertta, foldedAt)
	assert.Nil(t, bertta.LastOpenAt, "a machine open is not an open")
	assert.Zero(t, bertta.Score)
	assert.Equal(t, [6]int64{0, 1, 0, 0, 0, 0}, counts(bertta))

	// Sixty days on (day 101), with no new events: windows move, the score halves twice. The
	// 90-day window starts after day 11.
	clk.Add(60 * 24 * time.Hour)
	r = runUntil(t, f, 0)
	assert.EqualValues(t, 2, r.Windows, "the sweep recomputes both rows of an earlier day")
	aino = get(t, db, s.aino, clk.Now())
	assert.Equal(t, [6]int64{0, 1, 0, 1, 0, 1}, counts(aino))
	assert.InDelta(t, wantScore/4, aino.Score, 1e-9)
	assert.Equal(t, aino, stored(t, db, s.aino, clk.Now()))

	// Another hundred days: everything has left the windows; the rows are parked.
	clk.Add(100 * 24 * time.Hour)
	runUntil(t, f, 0)
	assert.Equal(t, [6]int64{}, counts(stored(t, db, s.aino, clk.Now())))
	var parked, buckets int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM contact_engagement WHERE windows_day = 'infinity'`).Scan(&parked))
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM contact_engagement_days`).Scan(&buckets))
	assert.Equal(t, 2, parked)
	assert.Zero(t, buckets, "day buckets beyond every window are pruned")
	r = runUntil(t, f, 0)
	assert.Zero(t, r.Windows, "parked rows are not swept again")
}

func TestFoldIsIdempotentAndConcurrentFoldersCountOnce(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	s := writeScript(t, db)
	now := func() time.Time { return at(41, "2h") }
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := engagement.NewFolder(db.Pool, engagement.FolderConfig{Batch: 2, Now: now})
			_, err := f.Run(context.Background())
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	f := engagement.NewFolder(db.Pool, engagement.FolderConfig{Now: now})
	runUntil(t, f, 0)
	aino := stored(t, db, s.aino, now())
	assert.Equal(t, [6]int64{1, 2, 1, 3, 1, 2}, counts(aino), "four folders, every event counted once")
	want := decay(1, at(0, "5m"), now()) + decay(3, at(0, "7m"), now()) + decay(1, at(11, "0m"), now()) +
		decay(3, at(12, "0m"), now()) + decay(1, at(40, "30m"), now())
	assert.InDelta(t, want, aino.Score, 1e-9)
}

// runUntil runs the folder until it has read at least `events` events in total (the horizon may
// lag behind other tests' transactions for a moment), then once more.
func runUntil(t *testing.T, f *engagement.Folder, events int64) engagement.Result {
	t.Helper()
	var total engagement.Result
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := f.Run(context.Background())
		require.NoError(t, err)
		total.Events += r.Events
		total.Contacts += r.Contacts
		total.Windows += r.Windows
		if total.Events >= events {
			return total
		}
		require.True(t, time.Now().Before(deadline), "the feed horizon did not pass the script's events")
		time.Sleep(20 * time.Millisecond) // the horizon moves when other sessions commit
	}
}

func get(t *testing.T, db *pgtest.DB, id int64, when time.Time) engagement.Engagement {
	t.Helper()
	e, err := engagement.Get(context.Background(), db.Pool, id, when)
	require.NoError(t, err)
	return e
}

// stored reads the rollup row itself, as segment filters see it, in Get's shape.
func stored(t *testing.T, db *pgtest.DB, id int64, when time.Time) engagement.Engagement {
	t.Helper()
	e := engagement.Engagement{ContactID: id, AsOf: when.UTC()}
	require.NoError(t, db.Pool.QueryRow(context.Background(), `
SELECT last_sent_at, last_open_at, last_click_at, last_unsubscribe_at, sends_30d, sends_90d,
       opens_30d, opens_90d, clicks_30d, clicks_90d, engagement_score(score, score_at, $2)
FROM contact_engagement WHERE contact_id = $1`, id, when).Scan(&e.LastSentAt, &e.LastOpenAt,
		&e.LastClickAt, &e.LastUnsubscribeAt, &e.Sends30d, &e.Sends90d, &e.Opens30d, &e.Opens90d,
		&e.Clicks30d, &e.Clicks90d, &e.Score))
	for _, p := range []**time.Time{&e.LastSentAt, &e.LastOpenAt, &e.LastClickAt, &e.LastUnsubscribeAt} {
		if *p != nil {
			u := (*p).UTC()
			*p = &u
		}
	}
	return e
}

func counts(e engagement.Engagement) [6]int64 {
	return [6]int64{e.Sends30d, e.Sends90d, e.Opens30d, e.Opens90d, e.Clicks30d, e.Clicks90d}
}

// The window counts the fold keeps current (adding to rows as of today, filling new and parked
// rows, leaving rows of an earlier day to the window pass) must equal the counts summed from the
// day buckets: after folds on one day, on a later day, after parking, and whatever the batch size.
func TestFoldKeepsWindowsEqualToTheDayBuckets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	rng := rand.New(rand.NewPCG(26, 11))
	var contacts []int64
	for i := range 12 {
		contacts = append(contacts, fixture.Contact(t, db.Pool, fmt.Sprintf("c%d@windows.example", i), "Buyer").ID)
	}
	types := []events.Type{events.Sent, events.Open, events.Open, events.Click, events.Unsubscribe, events.Dropped}
	// write stores n random events of the given contacts on days from … to, and returns n.
	write := func(n, from, to int, who []int64) int64 {
		evs := make([]events.Event, n)
		for i := range evs {
			evs[i] = events.Event{Type: types[rng.IntN(len(types))], CampaignID: 1, ContactID: who[rng.IntN(len(who))],
				OccurredAt: at(from+rng.IntN(to-from+1), fmt.Sprintf("%dm", rng.IntN(24*60))), Machine: rng.IntN(5) == 0}
		}
		_, err := events.Insert(ctx, db.Pool, evs...)
		require.NoError(t, err)
		return int64(n)
	}
	clk := &clock{t: at(100, "1h")}
	f := engagement.NewFolder(db.Pool, engagement.FolderConfig{Batch: 7, WindowChunk: 5, Now: clk.Now})
	check := func(step string) {
		t.Helper()
		for _, id := range contacts {
			assert.Equal(t, get(t, db, id, clk.Now()), stored(t, db, id, clk.Now()), "%s: contact %d", step, id)
		}
	}

	runUntil(t, f, write(200, 0, 100, contacts))
	check("first fold")
	runUntil(t, f, write(100, 60, 100, contacts))
	check("the same day again: counts added to")
	clk.Add(24 * time.Hour)
	runUntil(t, f, write(50, 95, 101, contacts[:6]))
	check("the next day: touched rows recomputed, the others swept")
	clk.Add(200 * 24 * time.Hour)
	runUntil(t, f, 0)
	check("all parked")
	var parked int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM contact_engagement WHERE windows_day = 'infinity'`).Scan(&parked))
	assert.Equal(t, len(contacts), parked)
	runUntil(t, f, write(30, 290, 301, contacts[:4]))
	check("parked rows woken")
}
