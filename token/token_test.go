package token_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/token"
)

// secret returns a test secret of n bytes whose content depends on seed.
func secret(seed byte, n int) []byte { return bytes.Repeat([]byte{'a' + seed%26}, n) }

func newKeyring(t testing.TB, current byte, ids ...byte) *token.Keyring {
	t.Helper()
	secrets := map[byte][]byte{current: secret(current, 32)}
	for _, id := range ids {
		secrets[id] = secret(id, 32)
	}
	kr, err := token.NewKeyring(current, secrets)
	require.NoError(t, err)
	return kr
}

var sentAt = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, 1)
	tests := []struct {
		name   string
		claims token.Claims
	}{
		{"open", token.Claims{Kind: token.Open, CampaignID: 7, ContactID: 123456, SentAt: sentAt}},
		{"open aggregate", token.Claims{Kind: token.Open, CampaignID: 7}},
		{"click", token.Claims{Kind: token.Click, CampaignID: 7, ContactID: 9, LinkID: 3, SentAt: sentAt}},
		{"click link 0", token.Claims{Kind: token.Click, CampaignID: 1, ContactID: 1}},
		{"click max values", token.Claims{Kind: token.Click, CampaignID: 1<<63 - 1, ContactID: 1<<63 - 1, LinkID: 1<<31 - 1,
			SentAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}},
		{"unsubscribe", token.Claims{Kind: token.Unsubscribe, CampaignID: 2, ContactID: 3, SentAt: sentAt}},
		{"bounce", token.Claims{Kind: token.Bounce, CampaignID: 2, ContactID: 3, SentAt: sentAt}},
		{"mailto", token.Claims{Kind: token.Mailto, CampaignID: 2, ContactID: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := kr.Sign(tt.claims)
			got, err := kr.Verify(s, tt.claims.Kind)
			require.NoError(t, err)
			assert.Equal(t, tt.claims, got)

			a := kr.SignAddress(tt.claims)
			assert.Equal(t, strings.ToLower(a), a, "address form is lower case")
			got, err = kr.VerifyAddress(strings.ToUpper(a), tt.claims.Kind)
			require.NoError(t, err, "an MTA may change the case of a local part")
			assert.Equal(t, tt.claims, got)
		})
	}
}

func TestSentAtPrecision(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, 1)
	tests := []struct {
		name     string
		in, want time.Time
	}{
		{"sub-second dropped", sentAt.Add(999 * time.Millisecond), sentAt},
		{"zone normalised to UTC", sentAt.In(time.FixedZone("EET", 2*3600)), sentAt},
		{"zero stays unknown", time.Time{}, time.Time{}},
		{"pre-1970 is unknown", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := kr.Verify(kr.Sign(token.Claims{Kind: token.Open, CampaignID: 1, SentAt: tt.in}), token.Open)
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(c.SentAt), "got %v", c.SentAt)
			assert.Equal(t, tt.want.IsZero(), c.SentAt.IsZero())
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, 1)
	click := token.Claims{Kind: token.Click, CampaignID: 42, ContactID: 4242, LinkID: 5, SentAt: sentAt}
	valid := kr.Sign(click)
	stranger := newKeyring(t, 9)                                          // a key ID the verifier does not know
	forger, err := token.NewKeyring(1, map[byte][]byte{1: secret(7, 40)}) // key ID 1, another secret
	require.NoError(t, err)

	tests := []struct {
		name string
		s    string
		want token.Kind
	}{
		{"empty", "", token.Click},
		{"wrong kind", valid, token.Open},
		{"unsubscribe as click", kr.Sign(token.Claims{Kind: token.Unsubscribe, CampaignID: 42, ContactID: 4242}), token.Click},
		{"unknown key ID", stranger.Sign(click), token.Click},
		{"forged with another secret", forger.Sign(click), token.Click},
		{"truncated by one", valid[:len(valid)-1], token.Click},
		{"truncated to header", valid[:4], token.Click},
		{"trailing character", valid + "A", token.Click},
		{"trailing padding", valid + "=", token.Click},
		{"newline inside", valid[:10] + "\n" + valid[10:], token.Click},
		{"standard base64 characters", strings.NewReplacer("-", "+", "_", "/").Replace(valid) + "+/", token.Click},
		{"address form in a URL", kr.SignAddress(click), token.Click},
		{"far too long", strings.Repeat("A", 4096), token.Click},
		{"not base64", "%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%", token.Click},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := kr.Verify(tt.s, tt.want)
			require.ErrorIs(t, err, token.ErrInvalid)
			assert.Zero(t, c)
		})
	}
}

func TestVerifyRejectsEverySingleCharacterChange(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, 1)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	valid := kr.Sign(token.Claims{Kind: token.Click, CampaignID: 3, ContactID: 1 << 40, LinkID: 300, SentAt: sentAt})
	for i := range len(valid) {
		for _, ch := range []byte(alphabet) {
			if ch == valid[i] {
				continue
			}
			altered := valid[:i] + string(ch) + valid[i+1:]
			_, err := kr.Verify(altered, token.Click)
			require.ErrorIs(t, err, token.ErrInvalid, "position %d changed to %q", i, ch)
		}
	}
}

func TestVerifyAddressRejectsEverySingleCharacterChange(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, 1)
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	valid := kr.SignAddress(token.Claims{Kind: token.Bounce, CampaignID: 3, ContactID: 77, SentAt: sentAt})
	for i := range len(valid) {
		for _, ch := range []byte(alphabet) {
			if ch == valid[i] {
				continue
			}
			_, err := kr.VerifyAddress(valid[:i]+string(ch)+valid[i+1:], token.Bounce)
			require.ErrorIs(t, err, token.ErrInvalid, "position %d changed to %q", i, ch)
		}
	}
	_, err := kr.VerifyAddress(valid, token.Mailto)
	require.ErrorIs(t, err, token.ErrInvalid, "a bounce token is not a mailto token")
	_, err = kr.VerifyAddress(valid+"a", token.Bounce)
	require.ErrorIs(t, err, token.ErrInvalid)
	_, err = kr.VerifyAddress(valid[:len(valid)-1], token.Bounce)
	require.ErrorIs(t, err, token.ErrInvalid)
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	before := newKeyring(t, 1)
	after := newKeyring(t, 2, 1) // new current key 2, old key 1 kept
	forgot := newKeyring(t, 2)   // old key dropped
	c := token.Claims{Kind: token.Unsubscribe, CampaignID: 1, ContactID: 2}

	old := before.Sign(c)
	got, err := after.Verify(old, token.Unsubscribe)
	require.NoError(t, err, "mail signed before the rotation must still verify")
	assert.Equal(t, c, got)

	_, err = forgot.Verify(old, token.Unsubscribe)
	require.ErrorIs(t, err, token.ErrInvalid)

	fresh := after.Sign(c)
	assert.NotEqual(t, old, fresh, "new tokens use the new key")
	_, err = before.Verify(fresh, token.Unsubscribe)
	require.ErrorIs(t, err, token.ErrInvalid, "a keyring without key 2 rejects its tokens")
}

func TestNewKeyringValidates(t *testing.T) {
	t.Parallel()
	_, err := token.NewKeyring(1, map[byte][]byte{1: secret(1, 31)})
	require.ErrorContains(t, err, "at least 32")
	_, err = token.NewKeyring(1, map[byte][]byte{1: secret(1, 32), 2: secret(2, 8)})
	require.ErrorContains(t, err, "key ID 2")
	_, err = token.NewKeyring(3, map[byte][]byte{1: secret(1, 32)})
	require.ErrorContains(t, err, "current key ID 3")
}

func TestSignPanicsOnImpossibleClaims(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, 1)
	for name, c := range map[string]token.Claims{
		"no kind":            {CampaignID: 1},
		"unknown kind":       {Kind: 99, CampaignID: 1},
		"negative campaign":  {Kind: token.Open, CampaignID: -1},
		"negative contact":   {Kind: token.Open, CampaignID: 1, ContactID: -1},
		"negative link":      {Kind: token.Click, CampaignID: 1, LinkID: -1},
		"link beyond int32":  {Kind: token.Click, CampaignID: 1, LinkID: 1 << 31},
		"link on open token": {Kind: token.Open, CampaignID: 1, LinkID: 1},
	} {
		assert.Panics(t, func() { kr.Sign(c) }, name)
	}
}

func TestTokensAreCompact(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, 1)
	c := token.Claims{Kind: token.Click, CampaignID: 1_000_000, ContactID: 1_000_000_000, LinkID: 200, SentAt: sentAt}
	assert.LessOrEqual(t, len(kr.Sign(c)), 48)
	c.Kind, c.LinkID = token.Bounce, 0
	// A local part may be at most 64 octets: "b+" and the token must fit.
	assert.LessOrEqual(t, len(token.ReturnPathPrefix+kr.SignAddress(c)), 64)
}

// Verify runs on every open and click: beyond decoding the token's base64, it must not allocate
// (a MAC sum in the caller's buffer would escape through the hash interface every time).
func TestVerifyAllocatesOnlyToDecode(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled MAC states at random")
	}
	kr := newKeyring(t, 1)
	tok := kr.Sign(token.Claims{Kind: token.Click, CampaignID: 7, ContactID: 9, LinkID: 3, SentAt: sentAt})
	_, err := kr.Verify(tok, token.Click) // the pool's first MAC state
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := kr.Verify(tok, token.Click); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, allocs, 1.0)
}
