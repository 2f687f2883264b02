package inbound_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/inbound"
	"github.com/kirje/kirje/inbound/dsn"
	"github.com/kirje/kirje/register"
)

// TestCorpusThroughPipeline runs every corpus message through Process as a saved file (no
// envelope: the VERP and mailto addresses are read from the headers), checks what each verdict
// did to the register, the suppression list and the events, and then processes it again: the
// second run must record nothing.
func TestCorpusThroughPipeline(t *testing.T) {
	t.Parallel()
	for _, tc := range corpus(t) {
		t.Run(tc.File, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setup(t, inbound.Config{})
			msgID := "orig-" + tc.File + "@acme.example"
			// The DMARC report is about a forged message to a stranger: nobody in the register.
			stranger := tc.File == "arf-auth-failure.eml"
			var first register.Contact
			for i, r := range tc.Recipients {
				if stranger {
					break
				}
				addr := r.Address
				if addr == "" {
					addr = "redacted.person@example.fi"
				}
				c := b.send(t, b.campaign, addr, map[bool]string{true: msgID}[i == 0])
				if i == 0 {
					first = c
				}
			}
			if first.ID == 0 && !stranger {
				first = b.send(t, b.campaign, "maija.virtanen@example.fi", msgID)
			}
			raw := b.message(t, readCorpus(t, tc.File), b.campaign, first, msgID)

			res, err := b.proc.Process(ctx, inbound.Envelope{Source: "file"}, raw)
			require.NoError(t, err)
			if tc.Malformed {
				assert.Equal(t, inbound.QuarantineMalformed, res.Quarantined)
				assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM inbound_quarantine WHERE reason = 'malformed'`))
				return
			}
			want := tc.Recipients
			if tc.File == "mailto-unsubscribe.eml" {
				require.Len(t, res.Outcomes, 1)
				assert.Equal(t, dsn.Unsubscribe, res.Outcomes[0].Verdict)
				assert.Equal(t, inbound.EffectUnsubscribed, res.Outcomes[0].Effect)
				assert.True(t, b.suppressed(t, first.Email))
				assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE type = 'unsubscribe' AND contact_id = $1`, first.ID))
				want = nil
			}
			require.Len(t, res.Outcomes, max(len(want), 1))
			for i, w := range want {
				checkEffect(t, b, res.Outcomes[i], dsn.Verdict(w.Verdict))
			}
			// A DMARC report about a forged message, and a person's reply forwarded to postmaster@,
			// name no send: they are kept for inspection.
			if stranger || tc.File == "forwarded-customer-reply.eml" {
				assert.Empty(t, res.Outcomes[0].Match, "no send is named")
				assert.Equal(t, inbound.QuarantineUnmatched, res.Quarantined)
			} else {
				assert.Empty(t, res.Quarantined)
			}

			events := b.count(t, `SELECT count(*) FROM events`)
			again, err := b.proc.Process(ctx, inbound.Envelope{Source: "file"}, raw)
			require.NoError(t, err)
			assert.Equal(t, events, b.count(t, `SELECT count(*) FROM events`), "a repeated message records nothing")
			assert.LessOrEqual(t, b.count(t, `SELECT count(*) FROM inbound_quarantine`), 1, "nor is it kept twice")
			for _, o := range again.Outcomes {
				if o.Verdict != dsn.Unsubscribe && o.Match != "" {
					assert.Equal(t, inbound.EffectDuplicate, o.Effect)
				}
			}
		})
	}
}

// checkEffect asserts what o's verdict must have done.
func checkEffect(t *testing.T, b *bundle, o inbound.Outcome, want dsn.Verdict) {
	t.Helper()
	require.Equal(t, want, o.Verdict, "verdict for %s (rule %s)", o.Recipient, o.Rule)
	if o.Match == "" {
		assert.Empty(t, o.Effect, "unmatched mail is quarantined, not recorded")
		assert.Zero(t, b.count(t, `SELECT count(*) FROM events`))
		return
	}
	assert.Equal(t, b.campaign.ID, o.CampaignID, "campaign of %s (match %s)", o.Recipient, o.Match)
	require.NotZero(t, o.ContactID)
	var email string
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), `SELECT email FROM contacts WHERE id = $1`, o.ContactID).Scan(&email))
	eventCount := func(typ string) int {
		return b.count(t, `SELECT count(*) FROM events WHERE type = $1 AND contact_id = $2 AND campaign_id = $3`, typ, o.ContactID, o.CampaignID)
	}
	switch want {
	case dsn.Hard:
		assert.Equal(t, inbound.EffectSuppressed, o.Effect)
		assert.True(t, b.suppressed(t, email))
		assert.Equal(t, 1, eventCount("bounce"))
		assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM suppressions WHERE address = $1 AND reason = 'bounce'`, email))
	case dsn.Soft:
		assert.Equal(t, inbound.EffectRecorded, o.Effect)
		assert.Equal(t, 1, o.SoftBounces)
		assert.False(t, b.suppressed(t, email), "one soft bounce suppresses nothing")
		assert.Equal(t, 1, eventCount("soft_bounce"))
	case dsn.Block:
		assert.Equal(t, inbound.EffectRecorded, o.Effect)
		assert.False(t, b.suppressed(t, email), "a block is not the address's fault")
		assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE type = 'block' AND brand_id = $1`, b.brand.ID), "recorded against the brand")
	case dsn.Delayed:
		assert.Equal(t, inbound.EffectRecorded, o.Effect)
		assert.False(t, b.suppressed(t, email))
		assert.Equal(t, 1, eventCount("delayed"))
	case dsn.Complaint:
		assert.Equal(t, inbound.EffectBanned, o.Effect)
		assert.True(t, b.suppressed(t, email))
		assert.Equal(t, 1, eventCount("complaint"))
		assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND banned_at IS NOT NULL`, o.ContactID))
	case dsn.Unclassified:
		assert.Equal(t, inbound.EffectRecorded, o.Effect)
		assert.False(t, b.suppressed(t, email))
		assert.Equal(t, 1, eventCount("unclassified"))
	}
	var reason string
	require.NoError(t, b.db.Pool.QueryRow(context.Background(),
		`SELECT reason FROM events WHERE contact_id = $1 AND data->>'verdict' = $2`, o.ContactID, string(want)).Scan(&reason))
	if o.Status != "" {
		assert.Contains(t, reason, o.Status, "the event carries the status code")
	}
}
