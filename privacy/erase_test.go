package privacy_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/privacy"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// Erasure leaves no trace of the address in any text, JSON or binary column of any table, keeps
// the campaigns' counts, and keeps the person suppressed: the same address imported again is
// dropped at send time.
func TestEraseLeavesNoTraceAndStaysSuppressed(t *testing.T) {
	t.Parallel()
	e := setup(t)
	d := populate(t, e)
	_, err := e.svc.Export(e.ctx, subjectAddr, by("pirjo")) // an audit entry about the subject, too
	require.NoError(t, err)

	before := traces(t, e, subjectAddr)
	for _, col := range []string{"contacts.email", "suppressions.address", "suppressions.source", "events.data",
		"events.reason", "send_ledger.detail", "marketing_permissions.source", "webhook_deliveries.body",
		"inbound_quarantine.mail_from", "inbound_quarantine.raw"} {
		assert.Contains(t, before, col, "the test must put the address in %s before erasing", col)
	}
	bystanderBefore := traces(t, e, bystanderAddr)
	sentCounts, bouncedCounts := e.counts(t, d.sent.ID), e.counts(t, d.bounced.ID)
	var opens int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT count(*) FROM events WHERE campaign_id = $1 AND type = 'open'`,
		d.sent.ID).Scan(&opens))

	res, err := e.svc.Erase(e.ctx, subjectAsWritten, by("pirjo"))
	require.NoError(t, err)
	assert.Equal(t, d.contact.ID, res.ContactID)
	assert.NotZero(t, res.SuppressionID)
	assert.Positive(t, res.Events.ContactEvents)
	assert.EqualValues(t, 1, res.Others.WebhookDeliveries)
	assert.EqualValues(t, 1, res.Others.QuarantinedMessages)
	assert.EqualValues(t, 1, res.Others.LedgerDetails)

	assert.Empty(t, traces(t, e, subjectAddr), "no column of any table holds the address")
	entries, err := e.list.Find(e.ctx, subjectAddr)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	assert.Equal(t, 1, erasedEvents(t, e, entries[0].AddressHash), "the feed tells the register's systems")
	for _, id := range []string{"C-1001", `L-\"77`} {
		assert.Empty(t, traces(t, e, id), "no column holds the contact's customer number or lead ID")
	}
	assert.Contains(t, traces(t, e, "C-2002"), "webhook_deliveries.body", "the bystander's stay")
	assert.Equal(t, slices.Sorted(maps.Keys(bystanderBefore)), slices.Sorted(maps.Keys(traces(t, e, bystanderAddr))),
		"nobody else's data is touched")
	var left int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT
		(SELECT count(*) FROM contacts WHERE id = $1) + (SELECT count(*) FROM marketing_permissions WHERE contact_id = $1) +
		(SELECT count(*) FROM tracking_choices WHERE contact_id = $1) + (SELECT count(*) FROM contact_engagement WHERE contact_id = $1) +
		(SELECT count(*) FROM events WHERE contact_id = $1) +
		(SELECT count(*) FROM events WHERE campaign_id = $2 AND (ip = '198.51.100.23' OR ip = '203.0.113.9'))`,
		d.contact.ID, d.sent.ID).Scan(&left))
	assert.Zero(t, left, "the contact, its history, rollups and client data are gone")
	var companies int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT count(*) FROM companies WHERE name = 'Yritys Oy'`).Scan(&companies))
	assert.Equal(t, 1, companies, "companies are not personal data")

	assert.Equal(t, sentCounts, e.counts(t, d.sent.ID), "the ledger keeps its counts")
	assert.Equal(t, bouncedCounts, e.counts(t, d.bounced.ID))
	var opensAfter int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT count(*) FROM events WHERE campaign_id = $1 AND type = 'open'`,
		d.sent.ID).Scan(&opensAfter))
	assert.Equal(t, opens, opensAfter, "events are anonymised, not deleted")

	h := suppression.Hash(subjectAddr)
	audit, err := access.AuditLog(e.ctx, e.db.Pool, access.AuditQuery{Action: access.ActionSubjectErase})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, access.SubjectTarget(h[:]), audit[0].Target, "the audit names the subject by hash only")
	js, _ := json.Marshal(audit[0])
	assert.NotContains(t, strings.ToLower(string(js)), subjectAddr)

	// The same person imported again later: the hash-only entry still suppresses them.
	v, err := e.list.Check(e.ctx, d.brand.ID, subjectAsWritten)
	require.NoError(t, err)
	assert.True(t, v.Suppressed)
	again, _, err := register.New(e.db.Pool).UpsertContact(e.ctx, register.ContactInput{Email: subjectAsWritten, FirstName: "Anna"})
	require.NoError(t, err)
	delivered := len(e.sink.To(subjectAddr))
	third := e.send(t, d.brand)
	var status, detail string
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT status, detail FROM send_ledger WHERE campaign_id = $1 AND contact_id = $2`,
		third.ID, again.ID).Scan(&status, &detail))
	assert.Equal(t, "dropped", status)
	assert.Contains(t, detail, "suppress")
	assert.Len(t, e.sink.To(subjectAddr), delivered, "nothing more went to the address")
	var reached int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT count(*) FROM send_ledger WHERE campaign_id = $1 AND status = 'sent'`,
		third.ID).Scan(&reached))
	assert.Equal(t, 1, reached, "the bystander is still mailed")
}

func TestEraseIsRepeatableAndCoversUnknownAddresses(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for range 2 {
		res, err := e.svc.Erase(e.ctx, "stranger@example.fi", by("pirjo"))
		require.NoError(t, err)
		assert.Zero(t, res.ContactID)
		assert.NotZero(t, res.SuppressionID)
	}
	entries, err := e.list.Find(e.ctx, "stranger@example.fi")
	require.NoError(t, err)
	require.Len(t, entries, 1, "one entry, however often erased")
	assert.Equal(t, 2, erasedEvents(t, e, entries[0].AddressHash), "each erasure is in the feed, the second too")
	assert.Equal(t, suppression.ReasonErasure, entries[0].Reason)
	assert.Empty(t, entries[0].Address, "hash only")
	assert.Empty(t, traces(t, e, "stranger@example.fi"))

	_, err = e.svc.Erase(e.ctx, "@example.fi", by("pirjo"))
	require.ErrorIs(t, err, privacy.ErrInvalid)
	audit, err := access.AuditLog(e.ctx, e.db.Pool, access.AuditQuery{Action: access.ActionSubjectErase})
	require.NoError(t, err)
	assert.Len(t, audit, 2)
}

// erasedEvents counts the erased events that name the address hash, as the feed's readers see
// them.
func erasedEvents(t *testing.T, e *env, hash []byte) int {
	t.Helper()
	var n int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `
SELECT count(*) FROM events WHERE type = 'erased' AND data->>'address_hash' = encode($1::bytea, 'hex')`, hash).Scan(&n))
	return n
}
