package token_test

import (
	"testing"

	"github.com/kirje/kirje/token"
)

func BenchmarkSign(b *testing.B) {
	kr := newKeyring(b, 1)
	c := token.Claims{Kind: token.Click, CampaignID: 1234, ContactID: 5_000_000, LinkID: 7, SentAt: sentAt}
	b.ReportAllocs()
	for b.Loop() {
		_ = kr.Sign(c)
	}
}

func BenchmarkVerify(b *testing.B) {
	kr := newKeyring(b, 1)
	s := kr.Sign(token.Claims{Kind: token.Click, CampaignID: 1234, ContactID: 5_000_000, LinkID: 7, SentAt: sentAt})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Verify(s, token.Click); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	kr := newKeyring(b, 1)
	s := kr.Sign(token.Claims{Kind: token.Open, CampaignID: 1234, ContactID: 5_000_000, SentAt: sentAt})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := kr.Verify(s, token.Open); err != nil {
				b.Fatal(err)
			}
		}
	})
}
