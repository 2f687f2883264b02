package feed

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
)

// Query selects a stretch of the feed.
type Query struct {
	After Cursor        // serve events after this one (zero: from the beginning)
	Types []events.Type // only these types; none means all
	// Limit caps the events served; 0 means up to the horizon (Each) or DefaultLimit (Read).
	Limit int
}

// DefaultLimit is Read's page size when Query.Limit is 0.
const DefaultLimit = 1000

// chunk is how many rows Each reads per statement. Every statement takes a new horizon, so a
// long stream keeps up with writers; each is small enough to hold no snapshot for long.
const chunk = 5000

// readSQL serves one chunk: events after the cursor ($1, $2) of transactions before the horizon
// $5, read just before (see Each). The inner query is an index scan on the primary key (tx, id)
// from the cursor, stopped by the LIMIT. The planner cannot estimate the row comparison (it
// guesses a third of the table), so left to itself it would join the whole range by hash and
// sort it; the joins are therefore LATERAL with OFFSET 0, which keeps them as per-row index
// lookups in feed order. The contact of a suppression event without contact_id is looked up by
// the address in its data; COALESCE evaluates that subquery only for those rows.
const readSQL = `
SELECT e.tx, e.id, e.type, e.occurred_at, coalesce(e.campaign_id, 0), coalesce(e.brand_id, 0),
       coalesce(e.contact_id, c.id, 0), coalesce(c.email, ''), coalesce(c.customer_number, ''),
       coalesce(c.lead_id, ''), coalesce(e.link_id, 0), coalesce(l.url, ''), e.machine, e.signals,
       e.reason, e.data
FROM (SELECT * FROM events
      WHERE (tx, id) > ($1::xid8, $2::bigint)
        AND tx < $5::xid8
        AND ($3::text[] IS NULL OR type = ANY ($3::text[]))
      ORDER BY tx, id
      LIMIT $4) e
LEFT JOIN LATERAL (
    SELECT x.id, x.email, x.customer_number, x.lead_id FROM contacts x
    WHERE x.id = coalesce(e.contact_id, (SELECT y.id FROM contacts y WHERE y.email = e.data ->> 'address'))
    OFFSET 0) c ON true
LEFT JOIN LATERAL (
    SELECT u.url FROM campaign_links u WHERE u.campaign_id = e.campaign_id AND u.id = e.link_id
    OFFSET 0) l ON true
ORDER BY e.tx, e.id`

// horizonSQL is the safe horizon: every transaction before it has ended.
const horizonSQL = `SELECT pg_snapshot_xmin(pg_current_snapshot())`

// Each calls fn with the events after q.After, oldest first, until q.Limit events (0: until the
// horizon is reached) or until fn returns an error, which Each returns. fn's *Event is reused:
// it is valid only during the call.
//
// Each returns where to resume: after the last event passed to fn or, when it reached the
// horizon, the horizon itself (its transaction, ID 0). A reader with a type filter then does not
// scan the same non-matching events again; what it skips was examined.
func Each(ctx context.Context, db pg.DBTX, q Query, fn func(*Event) error) (Cursor, error) {
	cur, left := q.After, q.Limit
	var types []string
	for _, t := range q.Types {
		types = append(types, string(t))
	}
	var ev Event
	for {
		n := chunk
		if q.Limit > 0 {
			n = min(n, left)
		}
		// The horizon is read before the chunk: an earlier horizon is only more cautious, and
		// it is known even when the chunk is empty.
		horizon, err := Head(ctx, db)
		if err != nil {
			return cur, err
		}
		got, err := readChunk(ctx, db, cur, horizon, types, n, &ev, fn)
		if got > 0 {
			cur = ev.Cursor
		}
		if err != nil {
			return cur, err
		}
		left -= got
		if got < n {
			return later(cur, horizon), nil // every event before the horizon was examined
		}
		if q.Limit > 0 && left == 0 {
			return cur, nil
		}
	}
}

// later returns the later of two positions.
func later(a, b Cursor) Cursor {
	if a.Tx > b.Tx || (a.Tx == b.Tx && a.ID >= b.ID) {
		return a
	}
	return b
}

func readChunk(ctx context.Context, db pg.DBTX, after, horizon Cursor, types []string, n int, ev *Event, fn func(*Event) error) (int, error) {
	rows, err := db.Query(ctx, readSQL, after.Tx, after.ID, types, n, horizon.Tx)
	if err != nil {
		return 0, fmt.Errorf("feed: read: %w", err)
	}
	defer rows.Close()
	got := 0
	for rows.Next() {
		if err := scanEvent(rows, ev); err != nil {
			return got, fmt.Errorf("feed: read: %w", err)
		}
		got++
		if err := fn(ev); err != nil {
			return got, err
		}
	}
	if err := rows.Err(); err != nil {
		return got, fmt.Errorf("feed: read: %w", err)
	}
	return got, nil
}

// scanEvent fills ev from a row of readSQL, reusing its contact, link and slices.
func scanEvent(rows pgx.Rows, ev *Event) error {
	var (
		tx                  uint64
		contactID           int64
		email, number, lead string
		linkID              int32
		url                 string
		contact             Contact
		link                Link
	)
	// Fresh slices for every row: Read keeps each event, so none may share a backing array.
	ev.Signals, ev.Data = nil, nil
	err := rows.Scan(&tx, &ev.ID, &ev.Type, &ev.Time, &ev.CampaignID, &ev.BrandID, &contactID, &email,
		&number, &lead, &linkID, &url, &ev.Machine, &ev.Signals, &ev.Reason, &ev.Data)
	if err != nil {
		return err
	}
	ev.Cursor = Cursor{Tx: tx, ID: ev.ID}
	ev.Time = ev.Time.UTC()
	ev.Contact, ev.Link = nil, nil
	if contactID != 0 {
		contact = Contact{ID: contactID, Email: email, CustomerNumber: number, LeadID: lead}
		ev.Contact = &contact
	}
	if linkID != 0 {
		link = Link{ID: int(linkID), URL: url}
		ev.Link = &link
	}
	return nil
}

// Page is one page of the feed: its events and the cursor to ask for the next page with (see
// Each: after the last event, or the horizon when the page reached it).
type Page struct {
	Events []Event `json:"events"`
	Next   Cursor  `json:"next"`
}

// Read returns one page: up to q.Limit events after q.After (DefaultLimit when 0).
func Read(ctx context.Context, db pg.DBTX, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = DefaultLimit
	}
	p := Page{Events: make([]Event, 0, min(q.Limit, chunk))}
	next, err := Each(ctx, db, q, func(e *Event) error {
		c := *e
		if e.Contact != nil {
			contact := *e.Contact
			c.Contact = &contact
		}
		if e.Link != nil {
			link := *e.Link
			c.Link = &link
		}
		p.Events = append(p.Events, c)
		return nil
	})
	p.Next = next
	return p, err
}

// Head returns the feed's current horizon as a cursor (its transaction, ID 0, before any of its
// own events), for a reader that wants what happens from now on without history. Every event it
// skips belongs to a transaction that ended before the oldest one still running; events of
// transactions that ended more recently, while an older one was still running, come after it.
// So a reader starting at Head may see a few events from just before "now", and never misses
// one from after.
func Head(ctx context.Context, db pg.DBTX) (Cursor, error) {
	var c Cursor
	if err := db.QueryRow(ctx, horizonSQL).Scan(&c.Tx); err != nil {
		return Cursor{}, fmt.Errorf("feed: head: %w", err)
	}
	return c, nil
}
