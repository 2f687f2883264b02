package register_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/register"
)

func TestSetTrackingKeepsHistoryAndLevel(t *testing.T) {
	b := setup(t)
	c := b.contact(t, "liisa@example.fi")
	other := b.contact(t, "other@example.fi")

	for i, level := range []string{register.TrackingOff, register.TrackingIndividual, "", register.TrackingAggregate} {
		ch, err := b.store.SetTracking(b.ctx, c.ID, level, "requested by email", "maija", "ticket 12")
		require.NoError(t, err, level)
		assert.Equal(t, level, ch.Level)
		got, err := b.store.Contact(b.ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, level, got.Tracking, "step %d: the contact's level is the latest choice", i)
	}
	hist, err := b.store.TrackingChoices(b.ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, hist, 4)
	assert.Equal(t, []string{"off", "individual", "", "aggregate"},
		[]string{hist[0].Level, hist[1].Level, hist[2].Level, hist[3].Level})
	assert.Equal(t, "requested by email", hist[0].Source)
	assert.Equal(t, "maija", hist[0].Actor)
	assert.Equal(t, "ticket 12", hist[0].Note)

	o, err := b.store.Contact(b.ctx, other.ID)
	require.NoError(t, err)
	assert.Empty(t, o.Tracking, "another contact is untouched")
	none, err := b.store.TrackingChoices(b.ctx, other.ID)
	require.NoError(t, err)
	assert.Empty(t, none)

	for _, bad := range []struct{ level, source, actor string }{
		{"sometimes", "x", "y"}, {"off", "", "y"}, {"off", "x", " "}, {"off", "line\nbreak", "y"},
	} {
		_, err := b.store.SetTracking(b.ctx, c.ID, bad.level, bad.source, bad.actor, "")
		require.ErrorIs(t, err, register.ErrInvalid, "%+v", bad)
	}
	_, err = b.store.SetTracking(b.ctx, 999999, "off", "x", "y", "")
	require.ErrorIs(t, err, register.ErrNotFound)

	require.NoError(t, b.store.DeleteContact(b.ctx, c.ID))
	gone, err := b.store.TrackingChoices(b.ctx, c.ID)
	require.NoError(t, err)
	assert.Empty(t, gone, "the history goes with the contact")
}
