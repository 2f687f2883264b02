package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/report"
)

var day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func at(hm string) time.Time {
	d, err := time.ParseDuration(hm)
	if err != nil {
		panic(err)
	}
	return day.Add(d)
}

// campaignFixture is a campaign with nine recipients whose outcomes are counted by hand in the
// tests below:
//
//	c1 sent; opens twice, clicks the offer twice                       (human)
//	c2 sent; Apple opens it, a scanner clicks the offer and the honeypot; later opens (human)
//	c3 sent; only a machine open; unsubscribes
//	c4 sent; clicks without an open; complains; bounces later (DSN)
//	c5 bounced at send time; c6 dropped (suppressed); c7 dropped (banned)
//	c8 failed, with a reply that looks like a spreadsheet formula; c9 still pending
type campaignFixture struct {
	db         *pgtest.DB
	campaignID int64
	offer      int // the offer link's ID
	honeypot   int
	contacts   []int64
}

func setup(t *testing.T) campaignFixture {
	t.Helper()
	ctx := context.Background()
	f := campaignFixture{db: pgtest.New(t)}
	brand := fixture.Brand(t, f.db.Pool, "reportco")
	c := fixture.Campaign(t, f.db.Pool, brand, "")
	f.campaignID = c.ID
	require.NoError(t, f.db.Pool.QueryRow(ctx, `SELECT id FROM campaign_links WHERE campaign_id = $1 AND url LIKE 'https://shop.example%'`, c.ID).Scan(&f.offer))
	require.NoError(t, f.db.Pool.QueryRow(ctx, `SELECT id FROM campaign_links WHERE campaign_id = $1 AND honeypot`, c.ID).Scan(&f.honeypot))
	for i := 1; i <= 9; i++ {
		f.contacts = append(f.contacts, fixture.Contact(t, f.db.Pool, fmt.Sprintf("c%d@asiakas.example", i), "Buyer").ID)
	}
	ledger := []struct{ status, detail string }{
		{"sent", ""}, {"sent", ""}, {"sent", ""}, {"sent", ""}, {"bounced", "550 5.1.1 no such user"},
		{"dropped", "suppressed:brand"}, {"dropped", "banned"}, {"failed", "=HYPERLINK(\"x\")"}, {"pending", ""},
	}
	for i, l := range ledger {
		_, err := f.db.Pool.Exec(ctx, `INSERT INTO send_ledger (campaign_id, contact_id, batch, status, detail) VALUES ($1, $2, 0, $3, $4)`,
			c.ID, f.contacts[i], l.status, l.detail)
		require.NoError(t, err)
	}
	ev := func(typ events.Type, contact int, when string, machine bool, link int) events.Event {
		return events.Event{Type: typ, CampaignID: c.ID, ContactID: f.contacts[contact-1], OccurredAt: at(when),
			Machine: machine, LinkID: link}
	}
	_, err := events.Insert(ctx, f.db.Pool,
		ev(events.Sent, 1, "10h5m", false, 0), ev(events.Sent, 2, "10h5m", false, 0),
		ev(events.Sent, 3, "10h6m", false, 0), ev(events.Sent, 4, "10h6m", false, 0),
		ev(events.Open, 1, "10h30m", false, 0), ev(events.Open, 1, "11h10m", false, 0),
		ev(events.Click, 1, "11h11m", false, f.offer), ev(events.Click, 1, "11h12m", false, f.offer),
		ev(events.Open, 2, "10h5m1s", true, 0), ev(events.Click, 2, "10h5m2s", true, f.offer),
		ev(events.Click, 2, "10h5m2s", true, f.honeypot), ev(events.Open, 2, "12h", false, 0),
		ev(events.Open, 3, "10h6m1s", true, 0), ev(events.Unsubscribe, 3, "10h40m", false, 0),
		ev(events.Click, 4, "13h", false, f.offer), ev(events.Complaint, 4, "14h", false, 0),
		ev(events.Bounce, 4, "15h", false, 0), ev(events.Bounce, 5, "10h7m", false, 0),
		events.Event{Type: events.Open, CampaignID: c.ID + 1, ContactID: f.contacts[0], OccurredAt: at("10h")}, // another campaign
	)
	require.NoError(t, err)
	return f
}

func TestReportCountsHumansByHand(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r, err := report.Campaign(context.Background(), f.db.Pool, f.campaignID, report.Options{}, at("16h"))
	require.NoError(t, err)

	assert.EqualValues(t, 9, r.Audience)
	assert.EqualValues(t, 4, r.Sent)
	assert.EqualValues(t, 2, r.Dropped)
	assert.Equal(t, map[string]int64{"suppressed": 1, "banned": 1}, r.DroppedBy)
	assert.EqualValues(t, 2, r.Bounced, "c5 at send time, c4 later")
	assert.EqualValues(t, 1, r.Failed)
	assert.EqualValues(t, 1, r.Pending)
	assert.EqualValues(t, 2, r.UniqueOpens, "c1 and c2; c3's only open is a machine's")
	assert.EqualValues(t, 3, r.Opens)
	assert.EqualValues(t, 2, r.MachineOpens)
	assert.EqualValues(t, 2, r.UniqueClicks, "c1 and c4")
	assert.EqualValues(t, 3, r.Clicks)
	assert.EqualValues(t, 2, r.MachineClicks)
	assert.InDelta(t, 0.5, r.OpenRate, 1e-9)
	assert.InDelta(t, 0.5, r.ClickRate, 1e-9)
	assert.InDelta(t, 1.0, r.ClickToOpen, 1e-9)
	assert.EqualValues(t, 1, r.Unsubscribes)
	assert.EqualValues(t, 1, r.Complaints)

	assert.Equal(t, []report.Link{
		{ID: f.honeypot, URL: "https://honeypot.invalid/", Honeypot: true, MachineClicks: 1},
		{ID: f.offer, URL: "https://shop.example/offer", UniqueClicks: 2, Clicks: 3, MachineClicks: 1},
	}, r.Links)

	assert.Equal(t, []report.Hour{
		{Hour: at("10h"), Sent: 4, Opens: 1, Unsubscribes: 1, Bounces: 1},
		{Hour: at("11h"), Opens: 1, Clicks: 2},
		{Hour: at("12h"), Opens: 1},
		{Hour: at("13h"), Clicks: 1},
		{Hour: at("15h"), Bounces: 1},
	}, r.Timeline)
}

func TestReportIncludesMachinesOnRequest(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r, err := report.Campaign(context.Background(), f.db.Pool, f.campaignID, report.Options{IncludeMachine: true}, at("16h"))
	require.NoError(t, err)
	assert.True(t, r.IncludeMachine)
	assert.EqualValues(t, 3, r.UniqueOpens)
	assert.EqualValues(t, 5, r.Opens)
	assert.EqualValues(t, 3, r.UniqueClicks)
	assert.EqualValues(t, 5, r.Clicks)
	assert.Equal(t, []report.Link{
		{ID: f.honeypot, URL: "https://honeypot.invalid/", Honeypot: true, UniqueClicks: 1, Clicks: 1, MachineClicks: 1},
		{ID: f.offer, URL: "https://shop.example/offer", UniqueClicks: 3, Clicks: 4, MachineClicks: 1},
	}, r.Links)
	assert.Equal(t, report.Hour{Hour: at("10h"), Sent: 4, Opens: 3, Clicks: 2, Unsubscribes: 1, Bounces: 1}, r.Timeline[0])
}

func TestReportOfAnUnknownCampaign(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, err := report.Campaign(context.Background(), f.db.Pool, f.campaignID+100, report.Options{}, at("16h"))
	assert.ErrorIs(t, err, report.ErrNotFound)
	assert.ErrorIs(t, report.WriteRecipientsCSV(context.Background(), f.db.Pool, f.campaignID+100, report.Options{}, &bytes.Buffer{}), report.ErrNotFound)
}

func TestRecipientsCSV(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var buf bytes.Buffer
	require.NoError(t, report.WriteRecipientsCSV(context.Background(), f.db.Pool, f.campaignID, report.Options{}, &buf))
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 10)
	assert.Equal(t, report.CSVHeader, rows[0])
	id := func(i int) string { return fmt.Sprint(f.contacts[i-1]) }
	want := [][]string{
		{id(1), "c1@asiakas.example", "", "sent", "", "2026-03-02T10:05:00Z", "2026-03-02T10:30:00Z", "2026-03-02T11:11:00Z", "", "false", "false"},
		{id(2), "c2@asiakas.example", "", "sent", "", "2026-03-02T10:05:00Z", "2026-03-02T12:00:00Z", "", "", "false", "false"},
		{id(3), "c3@asiakas.example", "", "sent", "", "2026-03-02T10:06:00Z", "", "", "2026-03-02T10:40:00Z", "false", "false"},
		{id(4), "c4@asiakas.example", "", "sent", "", "2026-03-02T10:06:00Z", "", "2026-03-02T13:00:00Z", "", "true", "true"},
		{id(5), "c5@asiakas.example", "", "bounced", "550 5.1.1 no such user", "", "", "", "", "true", "false"},
		{id(6), "c6@asiakas.example", "", "dropped", "suppressed:brand", "", "", "", "", "false", "false"},
		{id(7), "c7@asiakas.example", "", "dropped", "banned", "", "", "", "", "false", "false"},
		{id(8), "c8@asiakas.example", "", "failed", `'=HYPERLINK("x")`, "", "", "", "", "false", "false"},
		{id(9), "c9@asiakas.example", "", "pending", "", "", "", "", "", "false", "false"},
	}
	assert.Equal(t, want, rows[1:])
}
