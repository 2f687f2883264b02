package suppression_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/suppression"
)

func TestRemove(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brand := b.brand(t, "A")
	byID := b.add(t, suppression.Input{Address: "one@example.fi"})
	b.add(t, suppression.Input{Address: "two@example.fi", BrandID: brand})
	b.add(t, suppression.Input{Domain: "three.example"})
	b.add(t, suppression.Input{Address: "two@example.fi"}) // the same address, all marketing

	require.NoError(t, b.list.Remove(b.ctx, byID.ID, "admin"))
	require.NoError(t, b.list.RemoveAddress(b.ctx, "TWO@example.fi", brand, "admin"))
	require.NoError(t, b.list.RemoveDomain(b.ctx, "@three.example", 0, "admin"))

	assert.False(t, b.suppressed(t, 0, "one@example.fi"))
	assert.False(t, b.suppressed(t, 0, "x@three.example"))
	assert.True(t, b.suppressed(t, brand, "two@example.fi"), "the all-marketing entry stays")
	v, err := b.list.Check(b.ctx, brand, "two@example.fi")
	require.NoError(t, err)
	assert.Equal(t, suppression.ScopeAddress, v.Scope)

	require.ErrorIs(t, b.list.Remove(b.ctx, byID.ID, "admin"), suppression.ErrNotFound)
	require.ErrorIs(t, b.list.RemoveDomain(b.ctx, "three.example", 0, "admin"), suppression.ErrNotFound)
	_, err = b.list.Get(b.ctx, byID.ID)
	require.ErrorIs(t, err, suppression.ErrNotFound)

	var removed int
	var actor string
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, `
		SELECT count(*), min(data->>'actor') FROM events WHERE type = 'suppression_removed'`).Scan(&removed, &actor))
	assert.Equal(t, 3, removed)
	assert.Equal(t, "admin", actor)

	stale, err := b.list.Verify(b.ctx)
	require.NoError(t, err)
	assert.False(t, stale)
}

func TestListPagesAndFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brand := b.brand(t, "A")
	for _, in := range []suppression.Input{
		{Address: "a@example.fi", Reason: suppression.ReasonBounce},
		{Address: "b@example.fi", Reason: suppression.ReasonUnsubscribe, BrandID: brand},
		{Address: "c@example.fi", Reason: suppression.ReasonBounce, BrandID: brand},
		{Domain: "d.example", Reason: suppression.ReasonManual},
	} {
		b.add(t, in)
	}
	page1, err := b.list.List(b.ctx, suppression.ListOptions{Limit: 3})
	require.NoError(t, err)
	require.Len(t, page1, 3)
	page2, err := b.list.List(b.ctx, suppression.ListOptions{Limit: 3, AfterID: page1[2].ID})
	require.NoError(t, err)
	require.Len(t, page2, 1)
	assert.Equal(t, "d.example", page2[0].Domain)

	bounces, err := b.list.List(b.ctx, suppression.ListOptions{Reason: suppression.ReasonBounce})
	require.NoError(t, err)
	assert.Len(t, bounces, 2)
	branded, err := b.list.List(b.ctx, suppression.ListOptions{BrandID: brand, Reason: suppression.ReasonBounce})
	require.NoError(t, err)
	require.Len(t, branded, 1)
	assert.Equal(t, "c@example.fi", branded[0].Address)
}
