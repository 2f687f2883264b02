package access_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
)

func TestAuditAppendsAndReads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	first, err := access.Audit(b.ctx, b.db.Pool, access.Entry{At: at, Actor: "maija", UserID: 7, TokenID: 9,
		Action: access.ActionContactRectify, Target: "contacts/12", IP: "192.0.2.1",
		Detail: map[string]any{"changed": []string{"last_name"}}})
	require.NoError(t, err)
	assert.NotZero(t, first.ID)
	assert.True(t, first.At.Equal(at))
	second, err := access.Audit(b.ctx, b.db.Pool, access.Entry{Actor: "cli:root", Action: access.ActionSubjectErase,
		Target: access.SubjectTarget([]byte{0xab, 0xcd})})
	require.NoError(t, err)
	assert.False(t, second.At.IsZero(), "the database's time when none is given")
	assert.Equal(t, "subjects/abcd", second.Target)

	all, err := access.AuditLog(b.ctx, b.db.Pool, access.AuditQuery{})
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, first.ID, all[0].ID)
	assert.Equal(t, "maija", all[0].Actor)
	assert.EqualValues(t, 7, all[0].UserID)
	assert.EqualValues(t, 9, all[0].TokenID)
	assert.Equal(t, "192.0.2.1", all[0].IP)
	assert.Equal(t, []any{"last_name"}, all[0].Detail["changed"])
	assert.Equal(t, map[string]any{}, all[1].Detail)
	assert.Empty(t, all[1].IP)

	for _, tt := range []struct {
		q    access.AuditQuery
		want []int64
	}{
		{access.AuditQuery{Actor: "cli:root"}, []int64{second.ID}},
		{access.AuditQuery{Action: access.ActionContactRectify}, []int64{first.ID}},
		{access.AuditQuery{AfterID: first.ID}, []int64{second.ID}},
		{access.AuditQuery{Limit: 1}, []int64{first.ID}},
		{access.AuditQuery{Actor: "nobody"}, nil},
	} {
		got, err := access.AuditLog(b.ctx, b.db.Pool, tt.q)
		require.NoError(t, err)
		var ids []int64
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		assert.Equal(t, tt.want, ids, "%+v", tt.q)
	}
	_, err = access.AuditLog(b.ctx, b.db.Pool, access.AuditQuery{Limit: -1})
	require.ErrorIs(t, err, access.ErrInvalid)

	for _, bad := range []access.Entry{{Action: access.ActionUserCreate}, {Actor: "x", Action: "Users Create"}, {Actor: "x"}} {
		_, err := access.Audit(b.ctx, b.db.Pool, bad)
		require.ErrorIs(t, err, access.ErrInvalid, "%+v", bad)
	}
}

// The table refuses to be rewritten, whoever asks: the guard is in the database, not in Go.
func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := access.Audit(b.ctx, b.db.Pool, access.Entry{Actor: "aino", Action: access.ActionUserCreate})
	require.NoError(t, err)
	for _, stmt := range []string{
		`UPDATE audit_log SET actor = 'someone else'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		_, err := b.db.Pool.Exec(b.ctx, stmt)
		require.Error(t, err, stmt)
		assert.Contains(t, err.Error(), "append-only", stmt)
	}
	got, err := access.AuditLog(b.ctx, b.db.Pool, access.AuditQuery{})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "aino", got[0].Actor)
}

func signIns(t *testing.T, b bundle) []access.Entry {
	t.Helper()
	es, err := access.AuditLog(b.ctx, b.db.Pool, access.AuditQuery{Action: access.ActionSignIn})
	require.NoError(t, err)
	return es
}

// A sign-in is recorded on a token's first recorded use of each UTC day, with where it came
// from; uses within the day record nothing more.
func TestSignInOncePerTokenDay(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "crm", access.RoleAnalyst)
	plain, tok, err := b.store.IssueToken(b.ctx, u.ID, "")
	require.NoError(t, err)

	_, _, err = b.store.AuthenticateFrom(b.ctx, plain, "198.51.100.7")
	require.NoError(t, err)
	got := signIns(t, b)
	require.Len(t, got, 1)
	assert.Equal(t, "crm", got[0].Actor)
	assert.Equal(t, u.ID, got[0].UserID)
	assert.Equal(t, tok.ID, got[0].TokenID)
	assert.Equal(t, "198.51.100.7", got[0].IP)
	assert.True(t, got[0].At.Equal(b.clock.now()))

	for range 3 { // the rest of the day, beyond the last-used resolution
		b.clock.advance(2 * time.Hour)
		_, _, err = b.store.AuthenticateFrom(b.ctx, plain, "198.51.100.7")
		require.NoError(t, err)
	}
	assert.Len(t, signIns(t, b), 1, "one per day")

	b.clock.advance(24 * time.Hour)
	_, _, err = b.store.Authenticate(b.ctx, plain)
	require.NoError(t, err)
	got = signIns(t, b)
	require.Len(t, got, 2, "the next day's first use")
	assert.Empty(t, got[1].IP)

	_, _, err = b.store.AuthenticateFrom(b.ctx, "kirje_wrong", "203.0.113.1")
	require.ErrorIs(t, err, access.ErrUnauthenticated)
	assert.Len(t, signIns(t, b), 2, "a failed attempt is no sign-in")
}

func TestSignInConcurrentRecordsOne(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "crm", access.RoleAnalyst)
	plain, _, err := b.store.IssueToken(b.ctx, u.ID, "")
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, _, errs[i] = b.store.AuthenticateFrom(b.ctx, plain, "192.0.2.9") })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, signIns(t, b), 1)
}
