package access

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenShape(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		tok, err := newTokenSecret()
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(tok, TokenPrefix))
		assert.Len(t, tok, len(TokenPrefix)+43)
		h, ok := hashToken(tok)
		require.True(t, ok, tok)
		want := sha256.Sum256([]byte(tok))
		assert.Equal(t, want[:], h)
		assert.False(t, seen[tok])
		seen[tok] = true
	}
}

func TestHashTokenRefusesMalformed(t *testing.T) {
	t.Parallel()
	good, err := newTokenSecret()
	require.NoError(t, err)
	for _, bad := range []string{
		"",
		"kirje_",
		strings.TrimPrefix(good, TokenPrefix), // no prefix
		"KIRJE_" + strings.TrimPrefix(good, "kirje_"), // prefix case
		good + "A",
		good[:len(good)-1],
		good[:len(good)-1] + "=",
		good[:len(good)-1] + "+",
		" " + good,
	} {
		_, ok := hashToken(bad)
		assert.False(t, ok, "%q", bad)
	}
}

// FuzzHashToken: any string is either refused or is exactly prefix + 43 base64url characters
// that decode strictly to 32 bytes, and never panics.
func FuzzHashToken(f *testing.F) {
	f.Add("kirje_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("kirje_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB") // non-canonical last character
	f.Add("kirje_" + strings.Repeat("_", 43))
	f.Add("Bearer kirje_x")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := hashToken(s)
		if !ok {
			return
		}
		if !strings.HasPrefix(s, TokenPrefix) || len(s) != len(TokenPrefix)+43 || len(h) != 32 {
			t.Fatalf("accepted %q", s)
		}
	})
}
