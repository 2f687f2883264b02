package inbound_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/inbound"
	"github.com/kirje/kirje/inbound/dsn"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/register"
)

// untokened removes every Kirje token from a corpus template, as when a bounce reaches the
// brand's own mailbox (no VERP) and the MTA returned headers without List-Unsubscribe.
func untokened(tmpl string) string {
	return strings.NewReplacer("{{VERP}}", "news@acme.example", "{{MAILTO}}", "unsubscribe@acme.example",
		"{{UNSUB}}", "none").Replace(tmpl)
}

func TestMatchFallsBackFromTokensToMessageIDToAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, inbound.Config{})
	tmpl := readCorpus(t, "postfix-user-unknown.eml")
	maija := b.send(t, b.campaign, "maija.virtanen@example.fi", "m1@acme.example")
	other := fixture.Campaign(t, b.db.Pool, b.brand, "")

	tests := []struct {
		name      string
		raw       []byte
		env       inbound.Envelope
		wantMatch string
		wantCamp  int64
	}{
		{"envelope VERP", b.message(t, tmpl, b.campaign, maija, "x@y"),
			inbound.Envelope{To: []string{"ignored@" + mailDomain}}, inbound.MatchToken, b.campaign.ID},
		{"header VERP", b.message(t, tmpl, b.campaign, maija, "x@y"), inbound.Envelope{}, inbound.MatchVERP, b.campaign.ID},
		{"tokens in the returned headers", b.message(t, strings.ReplaceAll(tmpl, "To: {{VERP}}", "To: news@acme.example"), b.campaign, maija, "x@y"),
			inbound.Envelope{}, inbound.MatchToken, b.campaign.ID},
		{"Message-ID in the ledger", b.message(t, untokened(tmpl), b.campaign, maija, "m1@acme.example"),
			inbound.Envelope{}, inbound.MatchMessageID, b.campaign.ID},
		{"address, campaign from X-Kirje-Campaign", b.message(t, untokened(tmpl), b.campaign, maija, "unknown@acme.example"),
			inbound.Envelope{}, inbound.MatchAddress, b.campaign.ID},
		{"address, X-Kirje-Campaign of a campaign that did not send to it", b.message(t, untokened(tmpl), other, maija, "unknown@acme.example"),
			inbound.Envelope{}, inbound.MatchAddress, 0},
	}
	for _, tt := range tests {
		res, err := b.proc.Classify(ctx, tt.env, tt.raw)
		require.NoError(t, err, tt.name)
		require.Len(t, res.Outcomes, 1, tt.name)
		o := res.Outcomes[0]
		assert.Equal(t, tt.wantMatch, o.Match, tt.name)
		assert.Equal(t, maija.ID, o.ContactID, tt.name)
		assert.Equal(t, tt.wantCamp, o.CampaignID, tt.name)
		assert.Equal(t, dsn.Hard, o.Verdict, tt.name)
		assert.Empty(t, o.Effect, "a dry run does nothing")
	}
	assert.Zero(t, b.count(t, `SELECT count(*) FROM events`), "Classify writes nothing")
	assert.False(t, b.suppressed(t, maija.Email))
}

func TestVERPTokenMatchesOnlyItsRecipientInAMultiRecipientReport(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	aino := b.send(t, b.campaign, "aino.salo@example.fi", "m1@acme.example")
	eero := b.send(t, b.campaign, "eero.heikkinen@example.fi", "m2@acme.example")
	raw := b.message(t, readCorpus(t, "postfix-two-recipients.eml"), b.campaign, aino, "m1@acme.example")
	res, err := b.proc.Process(context.Background(), inbound.Envelope{Source: "file"}, raw)
	require.NoError(t, err)
	require.Len(t, res.Outcomes, 2)
	assert.Equal(t, aino.ID, res.Outcomes[0].ContactID)
	assert.Equal(t, eero.ID, res.Outcomes[1].ContactID)
	assert.Equal(t, inbound.MatchAddress, res.Outcomes[1].Match)
	assert.True(t, b.suppressed(t, aino.Email))
	assert.False(t, b.suppressed(t, eero.Email), "4.2.2 is soft")
}

func TestSoftBouncesSuppressAtTheLimitWithinTheWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 4, 14, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	b := setup(t, inbound.Config{SoftBounceLimit: 3, SoftBounceWindow: 30 * 24 * time.Hour, Now: clock})
	tmpl := readCorpus(t, "postfix-mailbox-full.eml")
	pekka := fixture.Contact(t, b.db.Pool, "pekka.nieminen@example.fi", "CFO")

	bounce := func(n int, msgID string) inbound.Outcome {
		t.Helper()
		c := fixture.Campaign(t, b.db.Pool, b.brand, "")
		raw := b.message(t, tmpl, c, pekka, msgID)
		raw = []byte(strings.Replace(string(raw), "Message-Id: <", fmt.Sprintf("Message-Id: <%d.", n), 1))
		res, err := b.proc.Process(ctx, inbound.Envelope{Source: "file"}, raw)
		require.NoError(t, err)
		require.Len(t, res.Outcomes, 1)
		return res.Outcomes[0]
	}
	o := bounce(1, "a@x")
	assert.Equal(t, 1, o.SoftBounces)
	now = now.Add(40 * 24 * time.Hour) // the first falls out of the window
	assert.Equal(t, 1, bounce(2, "b@x").SoftBounces)
	now = now.Add(24 * time.Hour)
	o = bounce(3, "c@x")
	assert.Equal(t, 2, o.SoftBounces)
	assert.Equal(t, inbound.EffectRecorded, o.Effect)
	assert.False(t, b.suppressed(t, pekka.Email))
	now = now.Add(24 * time.Hour)
	o = bounce(4, "d@x")
	assert.Equal(t, 3, o.SoftBounces)
	assert.Equal(t, inbound.EffectSuppressed, o.Effect)
	assert.True(t, b.suppressed(t, pekka.Email))
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM suppressions WHERE address = $1 AND reason = 'bounce' AND source LIKE '%soft bounces'`, pekka.Email))
	assert.Equal(t, 3, b.count(t, `SELECT count(*) FROM soft_bounces`), "rows out of the window are dropped")
}

func TestTwoReportsAboutOneMessageCountOneSoftBounce(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{SoftBounceLimit: 2})
	pekka := b.send(t, b.campaign, "pekka.nieminen@example.fi", "m@x")
	raw := string(b.message(t, readCorpus(t, "postfix-mailbox-full.eml"), b.campaign, pekka, "m@x"))
	for i := range 2 {
		res, err := b.proc.Process(context.Background(), inbound.Envelope{},
			[]byte(strings.Replace(raw, "Message-Id: <", fmt.Sprintf("Message-Id: <report%d.", i), 1)))
		require.NoError(t, err)
		assert.Equal(t, 1, res.Outcomes[0].SoftBounces, "report %d", i)
	}
	assert.False(t, b.suppressed(t, pekka.Email))
	assert.Equal(t, 2, b.count(t, `SELECT count(*) FROM events WHERE type = 'soft_bounce'`), "both reports are events")
}

func TestConcurrentDeliveriesOfOneMessageRecordOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	maija := b.send(t, b.campaign, "maija.virtanen@example.fi", "m@x")
	raw := b.message(t, readCorpus(t, "yahoo-arf-abuse.eml"), b.campaign, maija, "m@x")
	var wg sync.WaitGroup
	effects := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			res, err := b.proc.Process(context.Background(), inbound.Envelope{}, raw)
			assert.NoError(t, err)
			if err == nil {
				effects <- res.Outcomes[0].Effect
			}
		})
	}
	wg.Wait()
	close(effects)
	counts := map[string]int{}
	for e := range effects {
		counts[e]++
	}
	assert.Equal(t, map[string]int{inbound.EffectBanned: 1, inbound.EffectDuplicate: 7}, counts)
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE type = 'complaint'`))
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM marketing_permissions WHERE contact_id = $1 AND action = 'ban'`, maija.ID))
}

func TestBounceOfAnErasedContactNamesNobody(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, inbound.Config{})
	maija := b.send(t, b.campaign, "maija.virtanen@example.fi", "m@x")
	raw := b.message(t, readCorpus(t, "postfix-user-unknown.eml"), b.campaign, maija, "m@x")
	require.NoError(t, register.New(b.db.Pool).DeleteContact(ctx, maija.ID))
	res, err := b.proc.Process(ctx, inbound.Envelope{}, raw)
	require.NoError(t, err)
	o := res.Outcomes[0]
	assert.Equal(t, inbound.EffectErased, o.Effect)
	assert.Zero(t, o.ContactID)
	assert.Zero(t, b.count(t, `SELECT count(*) FROM events WHERE contact_id = $1`, maija.ID))
	assert.Zero(t, b.count(t, `SELECT count(*) FROM events WHERE data ? 'final_recipient'`), "the erased address is not recorded")
	assert.Zero(t, b.count(t, `SELECT count(*) FROM events WHERE strpos(lower(reason || coalesce(data::text, '')), $1) > 0`,
		"maija.virtanen@example.fi"), "nor the diagnostic's echo of it")
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE strpos(reason, '[erased]') > 0`))
}

func TestForgedTokenMatchesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, inbound.Config{})
	maija := b.send(t, b.campaign, "maija.virtanen@example.fi", "")
	raw := string(b.message(t, readCorpus(t, "postfix-user-unknown.eml"), b.campaign, maija, "m@x"))
	// Change one character of every token: none verifies, and maija is not in the ledger by
	// Message-ID; only her address could match, so the report must not be matched by a token.
	forged := strings.NewReplacer("b+a", "b+b", "u+a", "u+b", "/u/A", "/u/B").Replace(raw)
	forged = strings.ReplaceAll(forged, "maija.virtanen@example.fi", "someone.else@example.fi")
	res, err := b.proc.Process(context.Background(), inbound.Envelope{}, []byte(forged))
	require.NoError(t, err)
	assert.Empty(t, res.Outcomes[0].Match)
	assert.False(t, b.suppressed(t, maija.Email))
	assert.Equal(t, inbound.QuarantineUnmatched, res.Quarantined)
}

func TestMailtoUnsubscribeByEnvelopeGoesThroughOptout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, inbound.Config{})
	maija := b.send(t, b.campaign, "maija.virtanen@example.fi", "m@x")
	raw := b.message(t, readCorpus(t, "mailto-unsubscribe.eml"), b.campaign, maija, "m@x")
	to := strings.TrimSpace(strings.TrimPrefix(strings.Split(string(raw), "\n")[2], "To:"))
	require.True(t, strings.HasPrefix(to, "u+"), to)
	res, err := b.proc.Process(ctx, inbound.Envelope{To: []string{to}, Source: "smtp"}, raw)
	require.NoError(t, err)
	require.Len(t, res.Outcomes, 1)
	assert.Equal(t, inbound.EffectUnsubscribed, res.Outcomes[0].Effect)
	assert.True(t, b.suppressed(t, maija.Email))
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE type = 'unsubscribe' AND data->>'source' = 'mailto'`))
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM suppressions WHERE reason = 'unsubscribe' AND source = 'mailto'`))
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND banned_at IS NOT NULL`, maija.ID))
}

func TestPurgeRemovesOnlyOldRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	clock := now.Add(-60 * 24 * time.Hour)
	b := setup(t, inbound.Config{Now: func() time.Time { return clock }})
	pekka := b.send(t, b.campaign, "pekka.nieminen@example.fi", "")
	old := b.message(t, readCorpus(t, "postfix-mailbox-full.eml"), b.campaign, pekka, "m@x")
	_, err := b.proc.Process(ctx, inbound.Envelope{}, old)
	require.NoError(t, err)
	_, err = b.proc.Process(ctx, inbound.Envelope{}, []byte("not mail\n"))
	require.NoError(t, err)
	clock = now
	_, err = b.proc.Process(ctx, inbound.Envelope{}, []byte("also not mail\n"))
	require.NoError(t, err)

	n, err := inbound.PurgeSoftBounces(ctx, b.db.Pool, now.Add(-30*24*time.Hour))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	n, err = inbound.PurgeQuarantine(ctx, b.db.Pool, now.Add(-30*24*time.Hour))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	assert.Equal(t, 1, b.count(t, `SELECT count(*) FROM inbound_quarantine`), "the recent one stays")
}

// A bounce processed while its person is being erased waits for the erasure, then treats the
// person as erased: nothing names the contact or keeps the plain address.
func TestBounceDuringAnErasureWaitsAndNamesNobody(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, inbound.Config{})
	maija := b.send(t, b.campaign, "maija.virtanen@example.fi", "m@x")
	raw := b.message(t, readCorpus(t, "postfix-user-unknown.eml"), b.campaign, maija, "m@x")

	erasure := fixture.HoldForErasure(t, b.db.Pool, maija.ID)
	type result struct {
		res inbound.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := b.proc.Process(ctx, inbound.Envelope{}, raw)
		done <- result{res, err}
	}()
	erasure.AwaitWaiter("the bounce")
	erasure.Erase()
	r := <-done
	require.NoError(t, r.err)
	require.Len(t, r.res.Outcomes, 1)
	assert.Equal(t, inbound.EffectErased, r.res.Outcomes[0].Effect)
	assert.Zero(t, b.count(t, `SELECT count(*) FROM events WHERE contact_id = $1`, maija.ID))
	assert.Zero(t, b.count(t, `SELECT count(*) FROM events WHERE data ? 'final_recipient'`))
	assert.Zero(t, b.count(t, `SELECT count(*) FROM suppressions WHERE address IS NOT NULL`), "no plain address is stored")
	assert.Zero(t, b.count(t, `SELECT count(*) FROM events WHERE strpos(lower(reason || coalesce(data::text, '')), $1) > 0`,
		"maija.virtanen@example.fi"), "nor does any event")
}
