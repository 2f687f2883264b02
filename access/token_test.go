package access_test

import (
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
)

func TestIssueAndAuthenticate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "crm", access.RoleAnalyst)
	plain, tok, err := b.store.IssueToken(b.ctx, u.ID, " CRM integration ")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(plain, access.TokenPrefix))
	assert.Equal(t, "CRM integration", tok.Label)
	assert.Nil(t, tok.LastUsedAt)

	// Only the SHA-256 is stored; the plaintext appears nowhere in the table.
	var stored []byte
	var n int
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, `SELECT token_hash FROM api_tokens WHERE id = $1`, tok.ID).Scan(&stored))
	want := sha256.Sum256([]byte(plain))
	assert.Equal(t, want[:], stored)
	require.NoError(t, b.db.Pool.QueryRow(b.ctx,
		`SELECT count(*) FROM api_tokens t WHERE position($1 in t::text) > 0`, plain[len(access.TokenPrefix):]).Scan(&n))
	assert.Zero(t, n)

	gotU, gotT, err := b.store.Authenticate(b.ctx, plain)
	require.NoError(t, err)
	assert.Equal(t, u, gotU)
	assert.Equal(t, tok.ID, gotT.ID)
	require.NotNil(t, gotT.LastUsedAt)
	assert.True(t, gotT.LastUsedAt.Equal(b.clock.now()))

	altered := plain[:len(plain)-1] + "A" // the last character changed, whatever it was
	if strings.HasSuffix(plain, "A") {
		altered = plain[:len(plain)-1] + "B"
	}
	for _, bad := range []string{"", "kirje_", plain + "x", strings.ToUpper(plain), altered} {
		_, _, err := b.store.Authenticate(b.ctx, bad)
		require.ErrorIs(t, err, access.ErrUnauthenticated, "%q", bad)
	}
	other, _, err := b.store.IssueToken(b.ctx, u.ID, "")
	require.NoError(t, err)
	assert.NotEqual(t, plain, other)
}

func lastUsed(t *testing.T, b bundle, id int64) time.Time {
	t.Helper()
	var at time.Time
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, `SELECT last_used_at FROM api_tokens WHERE id = $1`, id).Scan(&at))
	return at
}

func TestLastUsedWrittenAtMostOncePerResolution(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "crm", access.RoleAnalyst)
	plain, tok, err := b.store.IssueToken(b.ctx, u.ID, "")
	require.NoError(t, err)
	first := b.clock.now()
	_, _, err = b.store.Authenticate(b.ctx, plain)
	require.NoError(t, err)
	assert.True(t, lastUsed(t, b, tok.ID).Equal(first))

	b.clock.advance(access.LastUsedResolution - time.Second)
	_, got, err := b.store.Authenticate(b.ctx, plain)
	require.NoError(t, err)
	assert.True(t, got.LastUsedAt.Equal(first), "reported as stored")
	assert.True(t, lastUsed(t, b, tok.ID).Equal(first), "not written within the resolution")

	b.clock.advance(time.Second)
	_, _, err = b.store.Authenticate(b.ctx, plain)
	require.NoError(t, err)
	assert.True(t, lastUsed(t, b, tok.ID).Equal(b.clock.now()), "written once the resolution passed")
}

func TestRevokeAndDisable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "aino", access.RoleAdmin)
	u := b.user(t, "maija", access.RoleMarketer)
	p1, t1, err := b.store.IssueToken(b.ctx, u.ID, "laptop")
	require.NoError(t, err)
	p2, t2, err := b.store.IssueToken(b.ctx, u.ID, "script")
	require.NoError(t, err)

	require.NoError(t, b.store.RevokeToken(b.ctx, u.ID, t1.ID))
	require.NoError(t, b.store.RevokeToken(b.ctx, u.ID, t1.ID), "revoking twice is fine")
	require.ErrorIs(t, b.store.RevokeToken(b.ctx, u.ID+1, t2.ID), access.ErrNotFound, "another user's token")
	require.ErrorIs(t, b.store.RevokeToken(b.ctx, u.ID, 9999), access.ErrNotFound)
	_, _, err = b.store.Authenticate(b.ctx, p1)
	require.ErrorIs(t, err, access.ErrUnauthenticated)
	_, _, err = b.store.Authenticate(b.ctx, p2)
	require.NoError(t, err)

	tokens, err := b.store.Tokens(b.ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, tokens, 2)
	assert.Equal(t, t1.ID, tokens[0].ID)
	assert.True(t, tokens[0].Revoked())
	assert.False(t, tokens[1].Revoked())

	_, err = b.store.DisableUser(b.ctx, u.ID)
	require.NoError(t, err)
	_, _, err = b.store.Authenticate(b.ctx, p2)
	require.ErrorIs(t, err, access.ErrUnauthenticated, "a disabled user's token")
	_, _, err = b.store.IssueToken(b.ctx, u.ID, "")
	require.ErrorIs(t, err, access.ErrConflict, "no tokens for a disabled user")
	_, _, err = b.store.IssueToken(b.ctx, 9999, "")
	require.ErrorIs(t, err, access.ErrNotFound)
	_, _, err = b.store.IssueToken(b.ctx, u.ID, strings.Repeat("x", access.MaxLabelLen+1))
	require.ErrorIs(t, err, access.ErrInvalid)

	_, err = b.store.EnableUser(b.ctx, u.ID)
	require.NoError(t, err)
	_, _, err = b.store.Authenticate(b.ctx, p2)
	require.NoError(t, err, "enabled again")
	_, _, err = b.store.Authenticate(b.ctx, p1)
	require.ErrorIs(t, err, access.ErrUnauthenticated, "revoked stays revoked")
}
