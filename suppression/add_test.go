package suppression_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/suppression"
)

func TestAddIsIdempotentAndRecordsOneEvent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brand := b.brand(t, "A")
	in := suppression.Input{Address: "Anna@Example.fi", BrandID: brand, Reason: suppression.ReasonUnsubscribe,
		Source: "one-click", Actor: "recipient", ContactID: 7, CampaignID: 9}

	first, created, err := b.list.AddOne(b.ctx, in)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, "anna@example.fi", first.Address)
	assert.Equal(t, brand, first.BrandID)

	in.Address = "anna@EXAMPLE.fi"
	again, created, err := b.list.AddOne(b.ctx, in)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first.ID, again.ID)

	var (
		n                              int
		contact, campaign, eventBrand  int64
		reason, addr, dataReason, hash string
	)
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, `
		SELECT count(*) OVER (), contact_id, campaign_id, brand_id, reason, data->>'address', data->>'reason', data->>'address_hash'
		FROM events WHERE type = 'suppression_added'`).Scan(&n, &contact, &campaign, &eventBrand, &reason, &addr, &dataReason, &hash))
	assert.Equal(t, 1, n, "a repeated add records no second event")
	assert.EqualValues(t, 7, contact)
	assert.EqualValues(t, 9, campaign)
	assert.Equal(t, brand, eventBrand)
	assert.Equal(t, "unsubscribe", reason)
	assert.Equal(t, "anna@example.fi", addr)
	assert.Equal(t, "unsubscribe", dataReason)
	assert.Len(t, hash, 64)
}

func TestAddRejectsBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := map[string]suppression.Input{
		"no target":      {Reason: suppression.ReasonManual},
		"two targets":    {Address: "a@example.fi", Domain: "example.fi", Reason: suppression.ReasonManual},
		"bad address":    {Address: "nope", Reason: suppression.ReasonManual},
		"bad domain":     {Domain: "localhost", Reason: suppression.ReasonManual},
		"short hash":     {AddressHash: []byte{1, 2}, Reason: suppression.ReasonManual},
		"bad reason":     {Address: "a@example.fi", Reason: "because"},
		"unknown brand":  {Address: "a@example.fi", Reason: suppression.ReasonManual, BrandID: 999999},
		"negative brand": {Address: "a@example.fi", Reason: suppression.ReasonManual, BrandID: -1},
	}
	for name, in := range tests {
		_, _, err := b.list.AddOne(b.ctx, in)
		require.ErrorIs(t, err, suppression.ErrInvalid, name)
	}
	n, err := b.list.Count(b.ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// An Add whose transaction rolls back leaves its member in the mirror (over-suppression, the
// safe direction) until Verify finds the difference and rebuilds.
func TestRolledBackAddIsCorrectedByVerify(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.add(t, suppression.Input{Address: "kept@example.fi"})

	tx, err := b.db.Pool.Begin(b.ctx)
	require.NoError(t, err)
	_, created, err := b.list.Add(b.ctx, tx, suppression.Input{Address: "undone@example.fi", Reason: suppression.ReasonManual})
	require.NoError(t, err)
	require.True(t, created)
	assert.True(t, b.suppressed(t, 0, "undone@example.fi"), "mirrored before the commit")
	require.NoError(t, tx.Rollback(b.ctx))
	assert.True(t, b.suppressed(t, 0, "undone@example.fi"), "over-suppressed until verified")

	stale, err := b.list.Verify(b.ctx)
	require.NoError(t, err)
	assert.True(t, stale)
	assert.False(t, b.suppressed(t, 0, "undone@example.fi"))
	assert.True(t, b.suppressed(t, 0, "kept@example.fi"))

	stale, err = b.list.Verify(b.ctx)
	require.NoError(t, err)
	assert.False(t, stale, "a rebuilt mirror agrees with PostgreSQL")
}

// Add inside a caller's transaction that also does other work: the entry is visible to Check at
// once and committed with the caller's work.
func TestAddInCallersTransaction(t *testing.T) {
	t.Parallel()
	b := setup(t)
	err := pg.InTx(b.ctx, b.db.Pool, func(tx pgx.Tx) error {
		_, _, err := b.list.Add(b.ctx, tx, suppression.Input{Domain: "corp.example", Reason: suppression.ReasonManual, Actor: "staff"})
		return err
	})
	require.NoError(t, err)
	assert.True(t, b.suppressed(t, 0, "ceo@corp.example"))
	entries, err := b.list.List(b.ctx, suppression.ListOptions{})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "corp.example", entries[0].Domain)
	assert.Equal(t, "staff", entries[0].Actor)
}
