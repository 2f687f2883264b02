package suppression_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/suppression"
)

func TestCheckScopes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brandA, brandB := b.brand(t, "A"), b.brand(t, "B")
	b.add(t, suppression.Input{Address: "all@example.fi"})
	b.add(t, suppression.Input{Domain: "blocked.example"})
	b.add(t, suppression.Input{Address: "only-a@example.fi", BrandID: brandA})
	b.add(t, suppression.Input{Domain: "a-blocked.example", BrandID: brandA})

	tests := []struct {
		addr      string
		brand     int64
		wantScope string // "" when not suppressed
	}{
		{"all@example.fi", 0, suppression.ScopeAddress},
		{"all@example.fi", brandA, suppression.ScopeAddress},
		{"all@example.fi", brandB, suppression.ScopeAddress},
		{"anyone@blocked.example", brandB, suppression.ScopeDomain},
		{"anyone@sub.blocked.example", brandB, ""}, // domains match exactly
		{"only-a@example.fi", brandA, suppression.ScopeBrandAddress},
		{"only-a@example.fi", brandB, ""},
		{"only-a@example.fi", 0, ""},
		{"x@a-blocked.example", brandA, suppression.ScopeBrandDomain},
		{"x@a-blocked.example", brandB, ""},
		{"free@example.fi", brandA, ""},
	}
	for _, tt := range tests {
		v, err := b.list.Check(b.ctx, tt.brand, tt.addr)
		require.NoError(t, err)
		assert.Equal(t, tt.wantScope != "", v.Suppressed, "%s for brand %d", tt.addr, tt.brand)
		assert.Equal(t, tt.wantScope, v.Scope, "%s for brand %d", tt.addr, tt.brand)
	}

	addrs := make([]string, len(tests))
	for i, tt := range tests {
		addrs[i] = tt.addr
	}
	many, err := b.list.CheckMany(b.ctx, brandA, addrs)
	require.NoError(t, err)
	for i, tt := range tests {
		one, err := b.list.Check(b.ctx, brandA, tt.addr)
		require.NoError(t, err)
		assert.Equal(t, one, many[i], "CheckMany agrees with Check for %s", tt.addr)
	}
}

func TestCheckNormalises(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.add(t, suppression.Input{Address: "  Matti.Meikalainen@Example.FI "})
	b.add(t, suppression.Input{Address: "pekka@Bücher.de"})
	b.add(t, suppression.Input{Domain: "@Kauppa.ÄÖ.example"})

	for _, addr := range []string{
		"matti.meikalainen@example.fi", "MATTI.MEIKALAINEN@EXAMPLE.FI",
		"pekka@bücher.de", "pekka@xn--bcher-kva.de", "PEKKA@BÜCHER.DE",
		"someone@kauppa.äö.example", "someone@KAUPPA.xn--4ca0b.example",
	} {
		assert.True(t, b.suppressed(t, 0, addr), addr)
	}
	assert.False(t, b.suppressed(t, 0, "matti.meikalainen+x@example.fi"), "plus tags name another mailbox")

	_, err := b.list.Check(b.ctx, 0, "not an address")
	require.ErrorIs(t, err, suppression.ErrInvalid)
	require.NotErrorIs(t, err, suppression.ErrUnavailable)
	_, err = b.list.CheckMany(b.ctx, 0, []string{"ok@example.fi", "not an address"})
	require.ErrorIs(t, err, suppression.ErrInvalid)
}

func TestHashOnlyEntriesBlock(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := suppression.Hash("erased@example.fi")
	b.add(t, suppression.Input{AddressHash: h[:], Reason: suppression.ReasonImport})
	b.add(t, suppression.Input{Address: "Hidden@Example.fi", HashOnly: true})
	e := b.add(t, suppression.Input{Address: "gone@example.fi", Reason: suppression.ReasonErasure})

	for _, addr := range []string{"Erased@example.fi", "hidden@example.fi", "gone@example.fi"} {
		assert.True(t, b.suppressed(t, 0, addr), addr)
	}
	assert.Empty(t, e.Address, "erasure keeps only the hash")
	var plain int
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, `SELECT count(address) FROM suppressions`).Scan(&plain))
	assert.Zero(t, plain, "no plain address is stored for hash-only entries")

	found, err := b.list.Find(b.ctx, "GONE@example.fi")
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, e.ID, found[0].ID)
}

func TestHash(t *testing.T) {
	t.Parallel()
	// As `printf %s matti@example.fi | sha256sum` prints it: unkeyed, so other systems' hashes match.
	want, err := suppression.ParseHash("D8CDE54F1A50958D5B614A58320FC9D5EE1C1A8A7E560A29D2D0437487211239")
	require.NoError(t, err)
	h := suppression.Hash("matti@example.fi")
	assert.Equal(t, want, h[:])

	_, err = suppression.ParseHash("d8cd")
	require.ErrorIs(t, err, suppression.ErrInvalid)
}
