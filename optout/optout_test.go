package optout_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

type bundle struct {
	db   *pgtest.DB
	list *suppression.List
	svc  *optout.Service
}

func setup(t *testing.T) bundle {
	t.Helper()
	db, rd := pgtest.New(t), redistest.New(t)
	list, err := suppression.New(db.Pool, suppression.Config{RedisURL: rd.URL, Prefix: rd.Prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = list.Close() })
	require.NoError(t, list.EnsureReady(context.Background()))
	return bundle{db: db, list: list, svc: optout.New(db.Pool, list)}
}

func (b bundle) suppressed(t *testing.T, brandID int64, email string) bool {
	t.Helper()
	v, err := b.list.Check(context.Background(), brandID, email)
	require.NoError(t, err)
	return v.Suppressed
}

func (b bundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func TestUnsubscribeAllSuppressesBansAndRecordsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	brand, other := fixture.Brand(t, b.db.Pool, "acme"), fixture.Brand(t, b.db.Pool, "beta")
	c := fixture.Contact(t, b.db.Pool, "Maija@Example.fi", "CFO")
	camp := fixture.Campaign(t, b.db.Pool, brand, "")

	req := optout.Request{CampaignID: camp.ID, ContactID: c.ID, Source: "one-click", IP: "192.0.2.1"}
	require.NoError(t, b.svc.Unsubscribe(ctx, req))
	require.NoError(t, b.svc.Unsubscribe(ctx, req), "a repeated one-click POST is harmless")

	assert.True(t, b.suppressed(t, brand.ID, "maija@example.fi"))
	assert.True(t, b.suppressed(t, other.ID, "maija@example.fi"), "all-marketing scope covers every brand")
	got, err := register.New(b.db.Pool).Contact(ctx, c.ID)
	require.NoError(t, err)
	assert.NotNil(t, got.BannedAt, "the register records the direct-marketing ban")
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE type = 'unsubscribe' AND contact_id = $1`, c.ID))
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM marketing_permissions WHERE contact_id = $1 AND action = 'ban'`, c.ID))
}

func TestUnsubscribeBrandOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	brand, other := fixture.Brand(t, b.db.Pool, "acme"), fixture.Brand(t, b.db.Pool, "beta")
	c := fixture.Contact(t, b.db.Pool, "pekka@example.fi", "CTO")
	camp := fixture.Campaign(t, b.db.Pool, brand, "")

	require.NoError(t, b.svc.Unsubscribe(ctx, optout.Request{CampaignID: camp.ID, ContactID: c.ID, Scope: optout.ScopeBrand, Source: "page"}))
	assert.True(t, b.suppressed(t, brand.ID, c.Email))
	assert.False(t, b.suppressed(t, other.ID, c.Email), "a brand-only opt-out leaves other brands")
	got, err := register.New(b.db.Pool).Contact(ctx, c.ID)
	require.NoError(t, err)
	assert.Nil(t, got.BannedAt, "a brand-only opt-out is not the register's general ban")
}

func TestUndoRecordsConsentAndLiftsOnlyTheUnsubscribe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	brand := fixture.Brand(t, b.db.Pool, "acme")
	c := fixture.Contact(t, b.db.Pool, "anna@example.fi", "Buyer")
	bounced := fixture.Contact(t, b.db.Pool, "gone@example.fi", "Buyer")
	camp := fixture.Campaign(t, b.db.Pool, brand, "")

	req := optout.Request{CampaignID: camp.ID, ContactID: c.ID, Source: "page"}
	require.NoError(t, b.svc.Unsubscribe(ctx, req))
	require.NoError(t, b.svc.Undo(ctx, req))
	assert.False(t, b.suppressed(t, brand.ID, c.Email))
	got, err := register.New(b.db.Pool).Contact(ctx, c.ID)
	require.NoError(t, err)
	assert.Nil(t, got.BannedAt)
	assert.NotNil(t, got.ConsentAt, "undoing an unsubscribe is recorded as consent")

	// A bounce entry is not the person's choice: undo leaves it.
	_, _, err = b.list.AddOne(ctx, suppression.Input{Address: bounced.Email, Reason: suppression.ReasonBounce, Source: "smtp"})
	require.NoError(t, err)
	require.NoError(t, b.svc.Unsubscribe(ctx, optout.Request{CampaignID: camp.ID, ContactID: bounced.ID, Source: "page"}))
	err = b.svc.Undo(ctx, optout.Request{CampaignID: camp.ID, ContactID: bounced.ID, Source: "page"})
	require.ErrorIs(t, err, optout.ErrNothingToUndo, "the address's only entry is the bounce")
	assert.True(t, b.suppressed(t, brand.ID, bounced.Email))
}

// An erased person stays suppressed by the erasure's hashed entry: unsubscribing again succeeds,
// and there is no unsubscribe to undo.
func TestUnsubscribeOfAnErasedContactSucceeds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := optout.Request{ContactID: 999999, Source: "one-click"}
	require.NoError(t, b.svc.Unsubscribe(context.Background(), req))
	require.ErrorIs(t, b.svc.Undo(context.Background(), req), optout.ErrNothingToUndo)
}

func TestUnsubscribeRejectsBadRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := fixture.Contact(t, b.db.Pool, "anna@example.fi", "Buyer")
	for name, r := range map[string]optout.Request{
		"no contact":            {Source: "page"},
		"unknown scope":         {ContactID: 1, Scope: "everything"},
		"brand without message": {ContactID: 1, Scope: optout.ScopeBrand},
		// Not an all-marketing opt-out in disguise: the person chose one brand.
		"brand of an unknown campaign": {ContactID: c.ID, CampaignID: 999_999, Scope: optout.ScopeBrand},
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, b.svc.Unsubscribe(context.Background(), r), optout.ErrInvalid)
		})
	}
}

// Undo reverses an unsubscribe and nothing else: with none on the list (never made, or undone
// already) it records no consent, lifts no ban and writes no event.
func TestUndoWithoutAnUnsubscribeRecordsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	brand := fixture.Brand(t, b.db.Pool, "acme")
	c := fixture.Contact(t, b.db.Pool, "anna@example.fi", "Buyer")
	camp := fixture.Campaign(t, b.db.Pool, brand, "")
	_, err := register.New(b.db.Pool).RecordPermission(ctx, c.ID, register.ActionBan, "asked by phone", "staff:liisa", "")
	require.NoError(t, err)

	req := optout.Request{CampaignID: camp.ID, ContactID: c.ID, Source: "page"}
	require.ErrorIs(t, b.svc.Undo(ctx, req), optout.ErrNothingToUndo)
	got, err := register.New(b.db.Pool).Contact(ctx, c.ID)
	require.NoError(t, err)
	assert.NotNil(t, got.BannedAt, "a ban staff recorded is not lifted by an undo with nothing to undo")
	assert.Nil(t, got.ConsentAt)
	var n int
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE contact_id = $1`, c.ID).Scan(&n))
	assert.Zero(t, n)

	// Unsubscribe, then undo four times at once (a double-clicked button): one consent.
	require.NoError(t, b.svc.Unsubscribe(ctx, req))
	var wg sync.WaitGroup
	var undone, nothing atomic.Int32
	for range 4 {
		wg.Go(func() {
			switch err := b.svc.Undo(ctx, req); {
			case err == nil:
				undone.Add(1)
			case errors.Is(err, optout.ErrNothingToUndo):
				nothing.Add(1)
			default:
				t.Errorf("undo: %v", err)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, undone.Load())
	assert.EqualValues(t, 3, nothing.Load())
	require.NoError(t, b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE contact_id = $1 AND type = 'resubscribe'`, c.ID).Scan(&n))
	assert.Equal(t, 1, n)
	assert.False(t, b.suppressed(t, brand.ID, c.Email))
}

// An unsubscribe that arrives while its person is being erased waits for the erasure, then
// finds the person gone: it leaves no suppression entry with the plain address and no event
// naming the contact. (A brand-only opt-out touches no row of the contact otherwise.)
func TestUnsubscribeDuringAnErasureWaitsAndLeavesNoTrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	brand := fixture.Brand(t, b.db.Pool, "acme")
	c := fixture.Contact(t, b.db.Pool, "tuuli@example.fi", "Buyer")
	camp := fixture.Campaign(t, b.db.Pool, brand, "")

	erasure := fixture.HoldForErasure(t, b.db.Pool, c.ID)
	done := make(chan error, 1)
	go func() {
		done <- b.svc.Unsubscribe(ctx, optout.Request{CampaignID: camp.ID, ContactID: c.ID,
			Scope: optout.ScopeBrand, Source: "page", IP: "192.0.2.1"})
	}()
	erasure.AwaitWaiter("the unsubscribe")
	erasure.Erase()
	require.NoError(t, <-done)

	assert.Zero(t, b.count(t, `SELECT count(*) FROM suppressions WHERE address IS NOT NULL`), "no plain address is stored")
	assert.Zero(t, b.count(t, `SELECT count(*) FROM events WHERE contact_id = $1 OR ip IS NOT NULL`, c.ID), "no event names the person")
}
