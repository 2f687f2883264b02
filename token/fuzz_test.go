package token_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/token"
)

// FuzzVerify feeds Verify and VerifyAddress arbitrary strings: they must never panic and never
// accept anything that is not exactly a token the keyring signed. Seeds are real tokens of every
// kind, so the fuzzer mutates near-valid input; a mutation that still verifies must decode to a
// token Sign would produce byte for byte (i.e. the fuzzer found the same token, not a new one).
func FuzzVerify(f *testing.F) {
	kr := newKeyring(f, 1, 2)
	seeds := []token.Claims{
		{Kind: token.Open, CampaignID: 1, ContactID: 2, SentAt: sentAt},
		{Kind: token.Open, CampaignID: 1},
		{Kind: token.Click, CampaignID: 300, ContactID: 1 << 33, LinkID: 12, SentAt: sentAt},
		{Kind: token.Unsubscribe, CampaignID: 5, ContactID: 6},
		{Kind: token.Bounce, CampaignID: 5, ContactID: 6, SentAt: sentAt},
		{Kind: token.Mailto, CampaignID: 5, ContactID: 6},
	}
	for _, c := range seeds {
		f.Add(kr.Sign(c))
		f.Add(kr.SignAddress(c))
	}
	f.Add("")
	f.Add("AQEB")
	f.Fuzz(func(t *testing.T, s string) {
		for k := token.Open; k <= token.Mailto; k++ {
			if c, err := kr.Verify(s, k); err == nil {
				require.Equal(t, kr.Sign(c), s, "accepted a token the keyring would not produce")
			}
			if c, err := kr.VerifyAddress(s, k); err == nil {
				require.Equal(t, kr.SignAddress(c), lower(s), "accepted an address token the keyring would not produce")
			}
		}
	})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// FuzzVerifyOneByteChanged signs claims chosen by the fuzzer, changes one byte of the token to
// any other byte and checks that the result never verifies, in either form. (Changing only the
// case of an address-form token is allowed by design and skipped.)
func FuzzVerifyOneByteChanged(f *testing.F) {
	kr := newKeyring(f, 1)
	f.Add(byte(token.Click), int64(1), int64(2), uint32(3), int64(1772600000), uint8(0), byte('A'))
	f.Add(byte(token.Open), int64(1<<40), int64(0), uint32(0), int64(0), uint8(30), byte('_'))
	f.Add(byte(token.Bounce), int64(9), int64(1<<20), uint32(0), int64(1), uint8(200), byte(0))
	f.Fuzz(func(t *testing.T, kind byte, campaign, contact int64, link uint32, sent int64, pos uint8, ch byte) {
		c := token.Claims{Kind: token.Kind(kind%5 + 1), CampaignID: abs(campaign), ContactID: abs(contact)}
		if c.Kind == token.Click {
			c.LinkID = int(link >> 1)
		}
		if sent > 0 && sent < 253402300799 {
			c.SentAt = time.Unix(sent, 0).UTC()
		}
		s := kr.Sign(c)
		if i := int(pos) % len(s); s[i] != ch {
			_, err := kr.Verify(s[:i]+string([]byte{ch})+s[i+1:], c.Kind)
			require.ErrorIs(t, err, token.ErrInvalid, "URL token with byte %d changed to %q", i, ch)
		}
		a := kr.SignAddress(c)
		if i := int(pos) % len(a); a[i] != lower(string([]byte{ch}))[0] {
			_, err := kr.VerifyAddress(a[:i]+string([]byte{ch})+a[i+1:], c.Kind)
			require.ErrorIs(t, err, token.ErrInvalid, "address token with byte %d changed to %q", i, ch)
		}
	})
}

func abs(n int64) int64 {
	if n < 0 {
		return -(n + 1) // never overflows
	}
	return n
}
