package events

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
)

// clientData is what the events table holds about contact id's opens and clicks, by IP address:
// the contact, and whether a user agent is kept. An event stored without its contact is under
// contact 0, IP "".
type clientData map[string]int64

func storedOpens(t *testing.T, db *pgtest.DB) (clientData, int) {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(),
		`SELECT coalesce(contact_id, 0), coalesce(ip, ''), user_agent IS NOT NULL FROM events WHERE type IN ('open', 'click')`)
	require.NoError(t, err)
	got, n := clientData{}, 0
	for rows.Next() {
		var contact int64
		var ip string
		var ua bool
		require.NoError(t, rows.Scan(&contact, &ip, &ua))
		assert.Equal(t, ip != "", ua, "IP address and user agent are kept or dropped together")
		got[ip] = contact
		n++
	}
	require.NoError(t, rows.Err())
	return got, n
}

// erase does what an erasure does to the events table, in the order privacy.Erase does it: the
// forgetting (which takes the lock), the contact's deletion. It returns the commit that ends it.
func erase(ctx context.Context, conn *pgxpool.Conn, contactID int64) (commit func() error, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	addr := "gone@example.com"
	h := sha256.Sum256([]byte(addr))
	_, err = Forget(ctx, tx, contactID, addr, h[:])
	if err == nil {
		_, err = tx.Exec(ctx, `DELETE FROM contacts WHERE id = $1`, contactID)
	}
	if err != nil {
		_ = tx.Rollback(ctx)
		return nil, err
	}
	return func() error { return tx.Commit(ctx) }, nil
}

func TestIngesterStoresEventsOfErasedContactsWithoutThem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, rd := pgtest.New(t), redistest.New(t)
	addContacts(t, db, 2) // contact 3 was erased before its open came in
	rec := NewRecorder(rd.Client.Options(), RecorderConfig{Prefix: rd.Prefix})
	t.Cleanup(rec.Close)
	for i, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		require.NoError(t, rec.Record(ctx, Event{Type: Open, CampaignID: 1, ContactID: int64(i + 1), IP: ip, UserAgent: "Mail"}))
	}
	require.NoError(t, rec.Record(ctx, Event{Type: Click, CampaignID: 1, LinkID: 1})) // aggregate: names nobody

	_, err := NewIngester(rd.Client, db.Pool, IngesterConfig{Prefix: rd.Prefix, Consumer: "a"}).Drain(ctx)
	require.NoError(t, err)
	got, n := storedOpens(t, db)
	assert.Equal(t, 4, n, "every event is counted")
	assert.Equal(t, clientData{"192.0.2.1": 1, "192.0.2.2": 2, "": 0}, got,
		"the erased contact's open is stored without the contact, its IP address and user agent")
}

// An ingest round that looked its contacts up before an erasure began commits before the erasure
// forgets, so the erasure's Forget sees (and anonymises) its events.
func TestErasureWaitsForIngestRoundsInFlight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	addContacts(t, db, 1)

	round, err := db.Pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = round.Rollback(ctx) }()
	evs := []Event{{Type: Open, OccurredAt: time.Now(), CampaignID: 1, ContactID: 1, IP: "192.0.2.1", UserAgent: "Mail"}}
	require.NoError(t, forgetGone(ctx, round, evs))
	require.EqualValues(t, 1, evs[0].ContactID, "the contact still exists")
	_, err = copyEvents(ctx, round, evs)
	require.NoError(t, err)

	conn, err := db.Pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	var pid uint32
	require.NoError(t, conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid))
	type result struct {
		commit func() error
		err    error
	}
	erased := make(chan result, 1)
	go func() {
		commit, err := erase(ctx, conn, 1)
		erased <- result{commit, err}
	}()
	require.Eventually(t, func() bool {
		var waiting bool
		err := db.Pool.QueryRow(ctx, `SELECT coalesce(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&waiting)
		return err == nil && waiting
	}, 10*time.Second, 5*time.Millisecond, "the erasure waits for the round in flight")
	require.NoError(t, round.Commit(ctx))
	res := <-erased
	require.NoError(t, res.err)
	require.NoError(t, res.commit())

	got, _ := storedOpens(t, db)
	assert.Equal(t, clientData{"": 0}, got, "the round's open was anonymised by the erasure")
}

// An ingest round that starts while an erasure runs waits for it, then finds the contact gone.
func TestIngestRoundWaitsForAnErasureInProgress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, rd := pgtest.New(t), redistest.New(t)
	addContacts(t, db, 1)
	conn, err := db.Pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	commit, err := erase(ctx, conn, 1)
	require.NoError(t, err)

	rec := NewRecorder(rd.Client.Options(), RecorderConfig{Prefix: rd.Prefix})
	t.Cleanup(rec.Close)
	require.NoError(t, rec.Record(ctx, Event{Type: Open, CampaignID: 1, ContactID: 1, IP: "192.0.2.1", UserAgent: "Mail"}))
	drained := make(chan error, 1)
	go func() {
		_, err := NewIngester(rd.Client, db.Pool, IngesterConfig{Prefix: rd.Prefix, Consumer: "a"}).Drain(ctx)
		drained <- err
	}()
	require.Eventually(t, func() bool {
		var waiting int
		err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND classid = $1::int4::oid AND objid = hashtext(current_schema())::oid`, erasureLockClass).Scan(&waiting)
		return err == nil && waiting > 0
	}, 10*time.Second, 5*time.Millisecond, "the round waits for the erasure")
	require.NoError(t, commit())
	require.NoError(t, <-drained)

	got, n := storedOpens(t, db)
	assert.Equal(t, 1, n)
	assert.Equal(t, clientData{"": 0}, got, "the open came after the erasure: stored without the contact")
	left, err := rd.Client.XLen(ctx, StreamKey(rd.Prefix)).Result()
	require.NoError(t, err)
	assert.Zero(t, left)
}
