package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/report"
)

// The engagement commands over a campaign with a few events: the feed tail, the report (table,
// JSON, CSV) and the webhook subscription commands.
func TestEngagementCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStack(t, smtptest.Options{})
	brand := fixture.Brand(t, s.db.Pool, "cmdco")
	c := fixture.Campaign(t, s.db.Pool, brand, "")
	anna := fixture.Contact(t, s.db.Pool, "anna@kone.example", "Buyer")
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO send_ledger (campaign_id, contact_id, batch, status) VALUES ($1, $2, 0, 'sent')`, c.ID, anna.ID)
	require.NoError(t, err)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	_, err = events.Insert(ctx, s.db.Pool,
		events.Event{Type: events.Sent, CampaignID: c.ID, ContactID: anna.ID, OccurredAt: at},
		events.Event{Type: events.Open, CampaignID: c.ID, ContactID: anna.ID, OccurredAt: at.Add(time.Minute)},
		events.Event{Type: events.Click, CampaignID: c.ID, ContactID: anna.ID, OccurredAt: at.Add(2 * time.Minute)})
	require.NoError(t, err)

	var lines []string
	require.Eventually(t, func() bool { // the feed's horizon may wait for other tests' transactions
		lines = strings.Fields(s.kirje(t, "events", "tail"))
		return len(lines) == 3
	}, 30*time.Second, 20*time.Millisecond)
	var first struct {
		Cursor  string
		Type    string
		Contact struct{ Email string }
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, "sent", first.Type)
	assert.Equal(t, "anna@kone.example", first.Contact.Email)
	assert.Len(t, strings.Fields(s.kirje(t, "events", "tail", "--after", first.Cursor)), 2)
	click := s.kirje(t, "events", "tail", "--types", "click,unsubscribe")
	assert.Contains(t, click, `"type":"click"`)
	assert.Len(t, strings.Fields(s.kirje(t, "events", "tail", "--limit", "1")), 1)
	code, stderr := s.kirjeExit("events", "tail", "--types", "opened")
	assert.Equal(t, 2, code, stderr)

	id := fmt.Sprint(c.ID)
	table := s.kirje(t, "campaigns", "report", id)
	assert.Contains(t, table, "UNIQUE OPENS")
	assert.Contains(t, table, "https://shop.example/offer")
	var r report.Report
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "campaigns", "report", id, "--json")), &r))
	assert.EqualValues(t, 1, r.UniqueClicks)
	csv := s.kirje(t, "campaigns", "report", id, "--csv", "-")
	assert.True(t, strings.HasPrefix(csv, strings.Join(report.CSVHeader, ",")+"\n"), csv)
	assert.Contains(t, csv, "anna@kone.example,,sent,,2026-03-02T10:00:00Z,2026-03-02T10:01:00Z,2026-03-02T10:02:00Z")
	code, _ = s.kirjeExit("campaigns", "report", "999999")
	assert.Equal(t, 2, code)

	hits := make(chan http.Header, 4)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits <- r.Header.Clone() }))
	t.Cleanup(rcv.Close)
	code, stderr = s.kirjeExit("webhooks", "add", rcv.URL)
	assert.Equal(t, 2, code, "plain http to loopback needs the flag")
	assert.Contains(t, stderr, "https")
	out := s.kirje(t, "webhooks", "add", rcv.URL+"/hook", "--types", "open,click", "--allow-loopback-http")
	assert.Contains(t, out, "signing secret (shown only now): whsec_")
	assert.Contains(t, s.kirje(t, "webhooks", "list"), rcv.URL+"/hook")
	wid := strings.Fields(out)[1]
	assert.Contains(t, s.kirje(t, "webhooks", "test", wid, "--allow-loopback-http"), "HTTP 200")
	assert.NotEmpty(t, (<-hits).Get("webhook-signature"))
	code, stderr = s.kirjeExit("webhooks", "test", wid)
	assert.Equal(t, 1, code, "without the flag the connection is refused")
	assert.Contains(t, stderr, "not allowed")
	assert.Contains(t, s.kirje(t, "webhooks", "enable", wid), "active")
	assert.Contains(t, s.kirje(t, "webhooks", "remove", wid), "removed")
	code, _ = s.kirjeExit("webhooks", "remove", wid)
	assert.Equal(t, 2, code)
}
