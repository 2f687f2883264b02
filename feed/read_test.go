package feed_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/feed"
	"github.com/kirje/kirje/internal/pg"
)

func TestReadJoinsContactLinkAndSuppressionAddress(t *testing.T) {
	t.Parallel()
	b := setup(t)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	insert(t, b.db.Pool,
		events.Event{Type: events.Click, OccurredAt: at, CampaignID: b.campaignID, BrandID: b.brandID,
			ContactID: b.contactID, LinkID: b.linkID, Machine: true, Signals: []string{"burst", "head"}},
		events.Event{Type: events.SuppressionAdded, OccurredAt: at.Add(time.Second), BrandID: b.brandID, Reason: "manual",
			Data: map[string]any{"address": "maija@asiakas.example", "reason": "manual"}},
		events.Event{Type: events.SuppressionAdded, OccurredAt: at.Add(2 * time.Second), Reason: "complaint",
			Data: map[string]any{"domain": "muualla.example", "reason": "complaint"}},
		events.Event{Type: events.Unsubscribe, OccurredAt: at.Add(3 * time.Second), ContactID: 999999, Reason: "brand"},
	)

	p := readAll(t, b.db.Pool, feed.Query{})
	require.Len(t, p, 4)

	click := p[0]
	assert.Equal(t, events.Click, click.Type)
	assert.Equal(t, at, click.Time)
	assert.Equal(t, b.campaignID, click.CampaignID)
	assert.Equal(t, b.brandID, click.BrandID)
	assert.Equal(t, &feed.Contact{ID: b.contactID, Email: "maija@asiakas.example", CustomerNumber: "C-1", LeadID: "L-1"}, click.Contact)
	assert.Equal(t, &feed.Link{ID: b.linkID, URL: b.linkURL}, click.Link)
	assert.True(t, click.Machine)
	assert.Equal(t, []string{"burst", "head"}, click.Signals)

	byAddress := p[1]
	require.NotNil(t, byAddress.Contact, "a suppression event finds its contact by address")
	assert.Equal(t, b.contactID, byAddress.Contact.ID)
	assert.Equal(t, "manual", byAddress.Reason)
	var data map[string]string
	require.NoError(t, json.Unmarshal(byAddress.Data, &data))
	assert.Equal(t, "maija@asiakas.example", data["address"])

	assert.Nil(t, p[2].Contact, "a domain entry has no contact")
	assert.Nil(t, p[2].Link)
	assert.Equal(t, &feed.Contact{ID: 999999}, p[3].Contact, "an erased contact keeps its ID")
}

func TestReadFiltersTypesAndPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	var evs []events.Event
	for i := range 25 {
		typ := events.Open
		if i%5 == 0 {
			typ = events.Click
		}
		evs = append(evs, events.Event{Type: typ, CampaignID: b.campaignID, ContactID: b.contactID,
			Data: map[string]any{"n": i}})
	}
	insert(t, b.db.Pool, evs...)

	clicks := readAll(t, b.db.Pool, feed.Query{Types: []events.Type{events.Click}, Limit: 2})
	require.Len(t, clicks, 5)
	for _, e := range clicks {
		assert.Equal(t, events.Click, e.Type)
	}

	first, err := feed.Read(ctx, b.db.Pool, feed.Query{Limit: 10})
	require.NoError(t, err)
	require.Len(t, first.Events, 10)
	assert.Equal(t, first.Events[9].Cursor, first.Next)
	rest, err := feed.Read(ctx, b.db.Pool, feed.Query{After: first.Next, Limit: 100})
	require.NoError(t, err)
	require.Len(t, rest.Events, 15)
	assert.Greater(t, rest.Events[0].ID, first.Events[9].ID)

	empty, err := feed.Read(ctx, b.db.Pool, feed.Query{After: rest.Next})
	require.NoError(t, err)
	assert.Empty(t, empty.Events)
	assert.False(t, less(empty.Next, rest.Next), "an empty page never moves the cursor back")
}

// A reader filtering by type moves past the events it does not want once it reaches the
// horizon, instead of scanning them again on every read.
func TestFilteredReaderMovesToTheHorizon(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	insert(t, b.db.Pool, events.Event{Type: events.Open, ContactID: b.contactID},
		events.Event{Type: events.Open, ContactID: b.contactID})
	opens := readAll(t, b.db.Pool, feed.Query{}) // waits for the horizon to pass them
	clicks := feed.Query{Types: []events.Type{events.Click}}
	p, err := feed.Read(ctx, b.db.Pool, clicks)
	require.NoError(t, err)
	assert.Empty(t, p.Events)
	assert.True(t, less(opens[1].Cursor, p.Next), "the cursor passed the opens it examined")

	insert(t, b.db.Pool, events.Event{Type: events.Click, ContactID: b.contactID})
	clicks.After = p.Next
	got := readAll(t, b.db.Pool, clicks)
	require.Len(t, got, 1)
	assert.Equal(t, events.Click, got[0].Type)
}

// An event written by a transaction that is still open is not served, and neither is anything
// after it; once it commits, the reader gets it from its old cursor.
func TestReadHoldsBackWhileAnEarlierTransactionIsOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	insert(t, b.db.Pool, events.Event{Type: events.Sent, ContactID: b.contactID, Reason: "before"})
	before := readAll(t, b.db.Pool, feed.Query{})
	require.Len(t, before, 1)
	cursor := before[0].Cursor

	slow, err := b.db.Pool.Begin(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = slow.Rollback(ctx) })
	insert(t, slow, events.Event{Type: events.Open, ContactID: b.contactID, Reason: "slow"})
	insert(t, b.db.Pool, events.Event{Type: events.Click, ContactID: b.contactID, Reason: "fast"})

	held, err := feed.Read(ctx, b.db.Pool, feed.Query{After: cursor})
	require.NoError(t, err)
	assert.Empty(t, held.Events, "nothing after an open transaction's xid may be served")

	require.NoError(t, slow.Commit(ctx))
	got := readAll(t, b.db.Pool, feed.Query{After: cursor})
	require.Len(t, got, 2)
	assert.Equal(t, "slow", got[0].Reason, "the slow transaction began first: its xid orders it first")
	assert.Equal(t, "fast", got[1].Reason)
}

func TestHeadServesWhatComesAfterIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	insert(t, b.db.Pool, events.Event{Type: events.Sent, ContactID: b.contactID})
	head, err := feed.Head(ctx, b.db.Pool)
	require.NoError(t, err)
	insert(t, b.db.Pool, events.Event{Type: events.Open, ContactID: b.contactID})
	got := readAll(t, b.db.Pool, feed.Query{After: head})
	// Other tests' open transactions may keep the "sent" event after the horizon; the open,
	// written after Head, must be there either way.
	require.NotEmpty(t, got)
	assert.Equal(t, events.Open, got[len(got)-1].Type)
	for _, e := range got {
		assert.GreaterOrEqual(t, e.Cursor.Tx, head.Tx)
	}
}

// readAll pages until the feed has nothing more now, waiting for the horizon: other tests'
// transactions in the same cluster may hold it back for a moment.
func readAll(t *testing.T, db pg.DBTX, q feed.Query) []feed.Event {
	t.Helper()
	want := countEvents(t, db, q)
	var out []feed.Event
	deadline := time.Now().Add(30 * time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		p, err := feed.Read(context.Background(), db, q)
		require.NoError(t, err)
		out = append(out, p.Events...)
		q.After = p.Next
		if len(p.Events) == 0 {
			time.Sleep(20 * time.Millisecond) // the horizon moves when other sessions commit: nothing to wait on
		}
	}
	require.Len(t, out, want, "the feed must serve every committed event")
	return out
}

func countEvents(t *testing.T, db pg.DBTX, q feed.Query) int {
	t.Helper()
	var types []string
	for _, typ := range q.Types {
		types = append(types, string(typ))
	}
	var n int
	require.NoError(t, db.QueryRow(context.Background(), `
SELECT count(*) FROM events WHERE (tx, id) > ($1::xid8, $2) AND ($3::text[] IS NULL OR type = ANY ($3))`,
		q.After.Tx, q.After.ID, types).Scan(&n))
	return n
}
