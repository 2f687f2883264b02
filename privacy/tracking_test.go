package privacy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/token"
	"github.com/kirje/kirje/tracking"
)

// A brand set to aggregate sends open and click tokens that name no contact, and the tracking
// endpoint records their events without one; a contact's own choice overrides the brand's level
// either way (consent to individual tracking, or an objection down to off).
func TestTrackingLevelsAtRenderAndRecord(t *testing.T) {
	t.Parallel()
	e := setup(t)
	reg := register.New(e.db.Pool)
	agg, err := reg.CreateBrand(e.ctx, register.BrandInput{Name: "counts-only", From: "news@counts.example",
		PostalAddress: "Hämeenkatu 1, Tampere", Tracking: register.TrackingAggregate})
	require.NoError(t, err)
	ind := fixture.Brand(t, e.db.Pool, "acme")
	anna := fixture.Contact(t, e.db.Pool, "anna@yritys.fi", "Buyer")   // follows the brand
	olli := fixture.Contact(t, e.db.Pool, "olli@yritys.fi", "Buyer")   // consented to individual tracking
	maria := fixture.Contact(t, e.db.Pool, "maria@yritys.fi", "Buyer") // objected to all tracking
	_, err = e.svc.SetTracking(e.ctx, olli.ID, register.TrackingIndividual, "preference form", by("maija"))
	require.NoError(t, err)
	_, err = e.svc.SetTracking(e.ctx, maria.ID, register.TrackingOff, "requested by email", by("maija"))
	require.NoError(t, err)

	e.startWorker(t)
	aggCampaign := e.send(t, agg)
	indCampaign := e.send(t, ind)
	tests := []struct {
		brand   string
		contact register.Contact
		want    int64 // the contact open and click tokens name; -1: none at all
	}{
		{"aggregate", anna, 0}, {"aggregate", olli, olli.ID}, {"aggregate", maria, -1},
		{"individual", anna, anna.ID}, {"individual", olli, olli.ID}, {"individual", maria, -1},
	}
	var annaAggregate map[string]string
	for _, tt := range tests {
		camp := aggCampaign.ID
		if tt.brand == "individual" {
			camp = indCampaign.ID
		}
		toks := messageTokens(t, e, tt.contact.Email, camp)
		unsub, err := e.links.Keys.Verify(toks["u"], token.Unsubscribe)
		require.NoError(t, err, "%s brand, %s: every message can unsubscribe", tt.brand, tt.contact.Email)
		assert.Equal(t, tt.contact.ID, unsub.ContactID, "the unsubscribe link always names the person")
		if tt.want < 0 {
			assert.Empty(t, toks["o"], "%s brand, %s: no pixel", tt.brand, tt.contact.Email)
			assert.Empty(t, toks["c"], "%s brand, %s: plain links", tt.brand, tt.contact.Email)
			continue
		}
		for kind, k := range map[string]token.Kind{"o": token.Open, "c": token.Click} {
			c, err := e.links.Keys.Verify(toks[kind], k)
			require.NoError(t, err, "%s brand, %s: %s token", tt.brand, tt.contact.Email, kind)
			assert.Equal(t, tt.want, c.ContactID, "%s brand, %s: %s token", tt.brand, tt.contact.Email, kind)
			assert.Equal(t, camp, c.CampaignID)
		}
		if tt.brand == "aggregate" && tt.contact.ID == anna.ID {
			annaAggregate = toks
		}
	}

	h, err := tracking.New(tracking.Config{Keys: e.links.Keys, Recorder: dbRecorder{e}, Links: dbLinks{e},
		Optouts: noOptouts{}, Recipients: noRecipients{}})
	require.NoError(t, err)
	for _, p := range []string{token.OpenPath + annaAggregate["o"], token.ClickPath + annaAggregate["c"]} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		require.Less(t, w.Code, 400, p)
	}
	var n, withContact int
	require.NoError(t, e.db.Pool.QueryRow(e.ctx, `SELECT count(*), count(contact_id) FROM events
		WHERE campaign_id = $1 AND type IN ('open', 'click')`, aggCampaign.ID).Scan(&n, &withContact))
	assert.Equal(t, 2, n, "the open and the click are counted")
	assert.Zero(t, withContact, "without knowing who")

	audit, err := access.AuditLog(e.ctx, e.db.Pool, access.AuditQuery{Action: access.ActionContactTracking})
	require.NoError(t, err)
	require.Len(t, audit, 2)
	assert.Equal(t, fmt.Sprintf("contacts/%d", maria.ID), audit[1].Target)
	assert.Equal(t, "off", audit[1].Detail["level"])
}

var tokenURL = regexp.MustCompile(`https://t\.kirje\.test/([ocu])/([A-Za-z0-9_-]+)`)

// messageTokens returns the open, click and unsubscribe tokens ("o", "c", "u") of the HTML part
// of the message campaign sent to addr.
func messageTokens(t *testing.T, e *env, addr string, campaignID int64) map[string]string {
	t.Helper()
	for _, m := range e.sink.To(addr) {
		html := htmlPart(t, m.Data)
		toks := map[string]string{}
		for _, match := range tokenURL.FindAllStringSubmatch(html, -1) {
			toks[match[1]] = match[2]
		}
		if c, err := e.links.Keys.Verify(toks["u"], token.Unsubscribe); err == nil && c.CampaignID == campaignID {
			return toks
		}
	}
	t.Fatalf("no message of campaign %d to %s", campaignID, addr)
	return nil
}

func htmlPart(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	require.NoError(t, err)
	return findHTML(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

func findHTML(t *testing.T, ctype, cte string, body io.Reader) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	require.NoError(t, err)
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if errors.Is(err, io.EOF) {
				return ""
			}
			require.NoError(t, err)
			if s := findHTML(t, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); s != "" {
				return s
			}
		}
	}
	if mt != "text/html" {
		return ""
	}
	if strings.EqualFold(cte, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	require.NoError(t, err)
	return string(b)
}

// The tracking endpoint's dependencies, as small as this test needs: events straight into the
// table, links from the campaign store, and no opt-outs.
type dbRecorder struct{ e *env }

func (r dbRecorder) Record(ctx context.Context, ev events.Event) error {
	_, err := events.Insert(ctx, r.e.db.Pool, ev)
	return err
}

type dbLinks struct{ e *env }

func (l dbLinks) Link(ctx context.Context, campaignID int64, linkID int) (string, bool, error) {
	link, err := campaign.New(l.e.db.Pool).Link(ctx, campaignID, linkID)
	if errors.Is(err, campaign.ErrNotFound) {
		return "", false, tracking.ErrNotFound
	}
	return link.URL, link.Honeypot, err
}

type noOptouts struct{}

func (noOptouts) Unsubscribe(context.Context, tracking.OptoutRequest) error {
	return tracking.ErrNotFound
}
func (noOptouts) Undo(context.Context, tracking.OptoutRequest) error { return tracking.ErrNotFound }

type noRecipients struct{}

func (noRecipients) Recipient(context.Context, int64, int64) (tracking.Recipient, error) {
	return tracking.Recipient{}, tracking.ErrNotFound
}
