package token_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/templates"
	"github.com/kirje/kirje/token"
)

// Recipient is what templates renders with (checked here, so token itself imports nothing).
var _ templates.URLs = token.Recipient{}

// tokenAfter returns what follows prefix in s, failing the test if s does not start with it.
func tokenAfter(t *testing.T, s, prefix string) string {
	t.Helper()
	require.True(t, strings.HasPrefix(s, prefix), "%q does not start with %q", s, prefix)
	return strings.TrimPrefix(s, prefix)
}

func TestLinksForRecipient(t *testing.T) {
	t.Parallel()
	kr := newKeyring(t, 1)
	base, err := url.Parse("https://t.example.fi/")
	require.NoError(t, err)
	links := token.Links{Base: base, Keys: kr}
	const campaign, contact = 11, 2222

	tests := []struct {
		level          string
		tracked        bool
		trackedContact int64
		trackedSentAt  time.Time
	}{
		{level: token.LevelIndividual, tracked: true, trackedContact: contact, trackedSentAt: sentAt},
		{level: token.LevelAggregate, tracked: true, trackedContact: 0},
		{level: token.LevelOff},
		{level: "", tracked: false}, // unknown levels are treated as off
		{level: "Individual", tracked: false},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			t.Parallel()
			r := links.ForRecipient(campaign, contact, sentAt, tt.level)
			if !tt.tracked {
				assert.Empty(t, r.Open())
				assert.Empty(t, r.Click(1))
			} else {
				c, err := kr.Verify(tokenAfter(t, r.Open(), "https://t.example.fi/o/"), token.Open)
				require.NoError(t, err)
				assert.Equal(t, token.Claims{Kind: token.Open, CampaignID: campaign, ContactID: tt.trackedContact,
					SentAt: tt.trackedSentAt}, c)
				c, err = kr.Verify(tokenAfter(t, r.Click(4), "https://t.example.fi/c/"), token.Click)
				require.NoError(t, err)
				assert.Equal(t, token.Claims{Kind: token.Click, CampaignID: campaign, ContactID: tt.trackedContact,
					LinkID: 4, SentAt: tt.trackedSentAt}, c)
			}

			// Whatever the level, the person can opt out and bounces find the address.
			personal := token.Claims{CampaignID: campaign, ContactID: contact, SentAt: sentAt}
			u := r.Unsubscribe()
			assert.Equal(t, u, r.OneClick())
			c, err := kr.Verify(tokenAfter(t, u, "https://t.example.fi/u/"), token.Unsubscribe)
			require.NoError(t, err)
			personal.Kind = token.Unsubscribe
			assert.Equal(t, personal, c)

			local, domain, ok := strings.Cut(tokenAfter(t, r.Mailto("mail.example.fi"), "mailto:"), "@")
			require.True(t, ok)
			assert.Equal(t, "mail.example.fi", domain)
			c, err = kr.VerifyAddress(tokenAfter(t, local, token.MailtoPrefix), token.Mailto)
			require.NoError(t, err)
			personal.Kind = token.Mailto
			assert.Equal(t, personal, c)

			local, domain, ok = strings.Cut(r.ReturnPath("bounces.example.fi"), "@")
			require.True(t, ok)
			assert.Equal(t, "bounces.example.fi", domain)
			c, err = kr.VerifyAddress(tokenAfter(t, local, token.ReturnPathPrefix), token.Bounce)
			require.NoError(t, err)
			personal.Kind = token.Bounce
			assert.Equal(t, personal, c)
		})
	}
}

func TestLinksKeepBasePath(t *testing.T) {
	t.Parallel()
	base, err := url.Parse("https://example.fi/track")
	require.NoError(t, err)
	r := token.Links{Base: base, Keys: newKeyring(t, 1)}.ForRecipient(1, 2, sentAt, token.LevelIndividual)
	assert.True(t, strings.HasPrefix(r.Open(), "https://example.fi/track/o/"), r.Open())
	assert.True(t, strings.HasPrefix(r.Unsubscribe(), "https://example.fi/track/u/"), r.Unsubscribe())
}
