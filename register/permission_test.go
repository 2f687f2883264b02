package register_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/register"
)

func TestRecordPermissionKeepsHistoryAndState(t *testing.T) {
	b := setup(t)
	c := b.contact(t, "liisa@example.fi", withKind(register.B2C))
	other := b.contact(t, "other@example.fi")

	steps := []struct {
		action            string
		banned, consented bool
	}{
		{register.ActionConsent, false, true},
		{register.ActionBan, true, true},
		{register.ActionUnban, false, true},
		{register.ActionWithdraw, false, false},
		{register.ActionBan, true, false},
	}
	for i, st := range steps {
		p, err := b.store.RecordPermission(b.ctx, c.ID, st.action, "unsubscribe page", "recipient", "step")
		require.NoError(t, err, st.action)
		assert.Equal(t, st.action, p.Action)
		got, err := b.store.Contact(b.ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, st.banned, got.BannedAt != nil, "step %d %s: banned", i, st.action)
		require.Equal(t, st.consented, got.ConsentAt != nil, "step %d %s: consent", i, st.action)
		switch st.action {
		case register.ActionBan:
			assert.True(t, got.BannedAt.Equal(p.CreatedAt), "state time is the history row's time")
		case register.ActionConsent:
			assert.True(t, got.ConsentAt.Equal(p.CreatedAt))
		}
	}

	hist, err := b.store.Permissions(b.ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, hist, len(steps))
	for i, st := range steps {
		assert.Equal(t, st.action, hist[i].Action, "history in order")
		assert.Equal(t, c.ID, hist[i].ContactID)
		assert.Equal(t, "unsubscribe page", hist[i].Source)
		assert.Equal(t, "recipient", hist[i].Actor)
	}
	none, err := b.store.Permissions(b.ctx, other.ID)
	require.NoError(t, err)
	assert.Empty(t, none)
	o, err := b.store.Contact(b.ctx, other.ID)
	require.NoError(t, err)
	assert.Nil(t, o.BannedAt, "other contacts untouched")
}

func TestRecordPermissionRejects(t *testing.T) {
	b := setup(t)
	c := b.contact(t, "x@example.fi")
	tests := []struct {
		name                        string
		id                          int64
		action, source, actor, note string
		want                        error
	}{
		{"unknown action", c.ID, "subscribe", "api", "admin", "", register.ErrInvalid},
		{"empty source", c.ID, register.ActionBan, " ", "admin", "", register.ErrInvalid},
		{"empty actor", c.ID, register.ActionBan, "api", "", "", register.ErrInvalid},
		{"NUL in note", c.ID, register.ActionBan, "api", "admin", "a\x00", register.ErrInvalid},
		{"no such contact", c.ID + 1000, register.ActionBan, "api", "admin", "", register.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.store.RecordPermission(b.ctx, tt.id, tt.action, tt.source, tt.actor, tt.note)
			require.ErrorIs(t, err, tt.want)
		})
	}
	assert.Equal(t, 0, b.count(t, "marketing_permissions"))
	got, err := b.store.Contact(b.ctx, c.ID)
	require.NoError(t, err)
	assert.Nil(t, got.BannedAt)
}

func TestMailable(t *testing.T) {
	b := setup(t)
	tests := []struct {
		name    string
		kind    register.Kind
		actions []string
		ok      bool
		reason  string
	}{
		{"b2b by default", register.B2B, nil, true, ""},
		{"b2b banned", register.B2B, []string{register.ActionBan}, false, register.NotMailableBanned},
		{"b2b unbanned", register.B2B, []string{register.ActionBan, register.ActionUnban}, true, ""},
		{"b2c without consent", register.B2C, nil, false, register.NotMailableNoConsent},
		{"b2c with consent", register.B2C, []string{register.ActionConsent}, true, ""},
		{"b2c consent withdrawn", register.B2C, []string{register.ActionConsent, register.ActionWithdraw}, false, register.NotMailableNoConsent},
		{"b2c consent but banned", register.B2C, []string{register.ActionConsent, register.ActionBan}, false, register.NotMailableBanned},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := b.contact(t, string(rune('a'+i))+"@example.fi", withKind(tt.kind))
			for _, a := range tt.actions {
				_, err := b.store.RecordPermission(b.ctx, c.ID, a, "api", "admin", "")
				require.NoError(t, err)
			}
			c, err := b.store.Contact(b.ctx, c.ID)
			require.NoError(t, err)
			ok, reason := c.Mailable()
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.reason, reason)
		})
	}
}
