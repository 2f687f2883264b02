package privacy_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// The subject of the rights tests, as they wrote their address, and as Kirje stores it.
const (
	subjectAsWritten = "Anna.Virtanen+News@Yritys.FI"
	subjectAddr      = "anna.virtanen+news@yritys.fi"
	bystanderAddr    = "pekka@kone.example"
)

// subjectData is what populate made.
type subjectData struct {
	brand              register.Brand
	contact, bystander register.Contact
	sent, bounced      campaign.Campaign // the campaign that reached the subject, the one that bounced
}

// populate gives the subject data in every table that can hold some, through the paths that
// write it in production where there is one: the worker sends one campaign and bounces another
// (its SMTP reply quoting the address), the optout service records a brand unsubscribe from the
// page and an objection, and events stand in for the tracking endpoint's opens and clicks. Tables
// of packages with no write path here yet (engagement rollups, webhook deliveries, inbound
// quarantine) get rows as those packages store them.
func populate(t *testing.T, e *env) subjectData {
	t.Helper()
	var d subjectData
	d.brand = fixture.Brand(t, e.db.Pool, "acme")
	reg := register.New(e.db.Pool)
	var err error
	d.contact, _, err = reg.UpsertContact(e.ctx, register.ContactInput{Email: subjectAsWritten,
		FirstName: "Anna", LastName: "Virtanen", JobTitle: "Head of Purchasing", Phone: "+358 40 123 4567",
		PostalAddress: "Hämeenkatu 1, Tampere", CustomerNumber: "C-1001", LeadID: "L-77",
		Attributes:  map[string]any{"newsletter": "weekly"},
		CompanyName: "Yritys Oy", BusinessID: "0112038-9", CompanyCountry: "FI"})
	require.NoError(t, err)
	d.bystander = fixture.Contact(t, e.db.Pool, bystanderAddr, "CFO")
	_, err = reg.RecordPermission(e.ctx, d.contact.ID, register.ActionConsent, "webinar form", "maija", "")
	require.NoError(t, err)
	_, err = e.svc.SetTracking(e.ctx, d.contact.ID, register.TrackingIndividual, "consented on the preference form", by("maija"))
	require.NoError(t, err)

	e.startWorker(t)
	d.sent = e.send(t, d.brand)
	var offer int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT id FROM campaign_links WHERE campaign_id = $1 AND NOT honeypot`,
		d.sent.ID).Scan(&offer))
	at := time.Now()
	_, err = events.Insert(e.ctx, e.db.Pool,
		events.Event{Type: events.Open, OccurredAt: at, CampaignID: d.sent.ID, ContactID: d.contact.ID, BrandID: d.brand.ID,
			IP: "198.51.100.23", UserAgent: "Mozilla/5.0 (Macintosh) AppleWebKit"},
		events.Event{Type: events.Click, OccurredAt: at, CampaignID: d.sent.ID, ContactID: d.contact.ID, BrandID: d.brand.ID,
			LinkID: offer, IP: "198.51.100.23", UserAgent: "Mozilla/5.0 (Macintosh) AppleWebKit"},
		events.Event{Type: events.Open, OccurredAt: at, CampaignID: d.sent.ID, ContactID: d.bystander.ID, BrandID: d.brand.ID,
			IP: "198.51.100.99", UserAgent: "Outlook"})
	require.NoError(t, err)

	e.rcpt.set(subjectAddr, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "<" + subjectAsWritten + ">: no such user here"})
	d.bounced = e.send(t, d.brand)

	require.NoError(t, e.optouts.Unsubscribe(e.ctx, optout.Request{CampaignID: d.sent.ID, ContactID: d.contact.ID,
		Scope: optout.ScopeBrand, Source: "page", IP: "203.0.113.9", UserAgent: "Mozilla/5.0 (iPhone)"}))
	_, err = e.svc.Object(e.ctx, subjectAddr, "requested by email from "+subjectAddr, by("maija"))
	require.NoError(t, err)
	_, _, err = e.list.AddOne(e.ctx, suppression.Input{Domain: "yritys.fi", BrandID: d.brand.ID,
		Reason: suppression.ReasonManual, Source: "phone call from " + subjectAsWritten, Actor: "maija"})
	require.NoError(t, err)
	otherTables(t, e, d)
	return d
}

// otherTables writes the rows of packages that are not wired here: per-contact engagement,
// a webhook delivery carrying the feed's contact email, and a quarantined inbound message.
func otherTables(t *testing.T, e *env, d subjectData) {
	t.Helper()
	for _, c := range []register.Contact{d.contact, d.bystander} {
		_, err := e.db.Pool.Exec(e.ctx, `INSERT INTO contact_engagement (contact_id, last_sent_at, last_open_at,
			sends_30d, opens_30d, score, score_at) VALUES ($1, now(), now(), 2, 1, 1.5, now())`, c.ID)
		require.NoError(t, err)
	}
	var sub int64
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `INSERT INTO webhook_subscriptions (url, secret)
		VALUES ('https://crm.example/hook', $1) RETURNING id`, make([]byte, 32)).Scan(&sub))
	// As the feed writes them (feed.Event's encoding).
	body := fmt.Sprintf(`{"events":[{"id":1,"type":"open","time":"2026-11-26T07:00:00Z","contact":{"id":%d,"email":%q,"customer_number":"C-1001","lead_id":"L-\"77\""},"machine":false},`+
		`{"id":2,"type":"open","time":"2026-11-26T07:00:01Z","contact":{"id":%d,"email":%q,"customer_number":"C-2002"},"machine":false}]}`,
		d.contact.ID, subjectAddr, d.bystander.ID, bystanderAddr)
	_, err := e.db.Pool.Exec(e.ctx, `INSERT INTO webhook_deliveries (subscription_id, message_id, body, events, next_attempt_at)
		VALUES ($1, 'msg_1', $2, 2, now())`, sub, body)
	require.NoError(t, err)
	for i, from := range []string{subjectAsWritten, bystanderAddr} {
		raw := []byte("From: " + from + "\r\nSubject: stop\r\n\r\nplease remove me\r\n")
		sum := sha256.Sum256(raw)
		_, err := e.db.Pool.Exec(e.ctx, `INSERT INTO inbound_quarantine (reason, mail_from, rcpt_to, size, raw, sha256)
			VALUES ('unmatched', $1, $2, $3, $4, $5)`, from, []string{fmt.Sprintf("u+%d@bounce.kirje.test", i)}, len(raw), raw, sum[:])
		require.NoError(t, err)
	}
}

// traces returns "table.column" → number of rows whose value holds addr, in any letter case, for
// every text, varchar, text[], json, jsonb and bytea column of every table in the test's schema.
func traces(t *testing.T, e *env, addr string) map[string]int {
	t.Helper()
	rows, err := e.db.Pool.Query(e.ctx, `
SELECT c.table_name, c.column_name, c.data_type
FROM information_schema.columns c
JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
  AND (c.data_type IN ('text', 'character varying', 'json', 'jsonb', 'bytea')
       OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar')))
ORDER BY 1, 2`)
	require.NoError(t, err)
	type column struct{ table, name, typ string }
	var cols []column
	for rows.Next() {
		var c column
		require.NoError(t, rows.Scan(&c.table, &c.name, &c.typ))
		cols = append(cols, c)
	}
	require.NoError(t, rows.Err())
	require.NotEmpty(t, cols)
	found := map[string]int{}
	for _, c := range cols {
		expr := fmt.Sprintf("%q::text", c.name)
		if c.typ == "bytea" {
			expr = fmt.Sprintf("encode(%q, 'escape')", c.name)
		}
		var n int
		q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE strpos(lower(%s), $1) > 0`, c.table, expr)
		require.NoError(t, e.db.Pool.QueryRow(e.ctx, q, strings.ToLower(addr)).Scan(&n), q)
		if n > 0 {
			found[c.table+"."+c.name] = n
		}
	}
	return found
}
