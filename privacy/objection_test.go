package privacy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/privacy"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

func TestObjectStopsAllMarketing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	brand := fixture.Brand(t, e.db.Pool, "acme")
	c := fixture.Contact(t, e.db.Pool, "liisa@kone.example", "Buyer")

	res, err := e.svc.Object(e.ctx, "Liisa@Kone.example", "requested by email", by("pirjo"))
	require.NoError(t, err)
	assert.Equal(t, privacy.Objection{ContactID: c.ID}, res)
	got, err := register.New(e.db.Pool).Contact(e.ctx, c.ID)
	require.NoError(t, err)
	require.NotNil(t, got.BannedAt, "the register's ban")
	perms, err := register.New(e.db.Pool).Permissions(e.ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, perms, 1)
	assert.Equal(t, "pirjo", perms[0].Actor)
	assert.Contains(t, perms[0].Source, "requested by email")
	v, err := e.list.Check(e.ctx, brand.ID, c.Email)
	require.NoError(t, err)
	assert.True(t, v.Suppressed, "effective for the next send")

	// Someone not in the register objects: they are suppressed before any import can add them.
	res, err = e.svc.Object(e.ctx, "stranger@kone.example", "phone call", by("pirjo"))
	require.NoError(t, err)
	assert.Zero(t, res.ContactID)
	assert.NotZero(t, res.SuppressionID)
	entries, err := e.list.Find(e.ctx, "stranger@kone.example")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, suppression.ReasonUnsubscribe, entries[0].Reason)
	assert.Equal(t, "phone call", entries[0].Source)

	audit, err := access.AuditLog(e.ctx, e.db.Pool, access.AuditQuery{Action: access.ActionSubjectObjection})
	require.NoError(t, err)
	require.Len(t, audit, 2)
	h := suppression.Hash("liisa@kone.example")
	assert.Equal(t, access.SubjectTarget(h[:]), audit[0].Target)
	assert.EqualValues(t, c.ID, audit[0].Detail["contact_id"])
	assert.NotContains(t, audit[0].Detail, "source", "free text stays out of the append-only log")

	for _, bad := range []struct{ addr, source string }{{"liisa@kone.example", " "}, {"no-address", "phone"}} {
		_, err := e.svc.Object(e.ctx, bad.addr, bad.source, by("pirjo"))
		require.ErrorIs(t, err, privacy.ErrInvalid, "%+v", bad)
	}
}

func TestSetTrackingErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := fixture.Contact(t, e.db.Pool, "liisa@kone.example", "Buyer")
	_, err := e.svc.SetTracking(e.ctx, 999999, register.TrackingOff, "x", by("pirjo"))
	require.ErrorIs(t, err, privacy.ErrNotFound)
	_, err = e.svc.SetTracking(e.ctx, c.ID, "sometimes", "x", by("pirjo"))
	require.ErrorIs(t, err, privacy.ErrInvalid)
	_, err = e.svc.SetTracking(e.ctx, c.ID, register.TrackingOff, "", by("pirjo"))
	require.ErrorIs(t, err, privacy.ErrInvalid)
	audit, err := access.AuditLog(e.ctx, e.db.Pool, access.AuditQuery{Action: access.ActionContactTracking})
	require.NoError(t, err)
	assert.Empty(t, audit, "refused changes record nothing")
}
