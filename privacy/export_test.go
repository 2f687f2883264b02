package privacy_test

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/privacy"
	"github.com/kirje/kirje/suppression"
)

func TestExportHoldsEverythingAboutTheAddress(t *testing.T) {
	t.Parallel()
	e := setup(t)
	d := populate(t, e)

	doc, err := e.svc.Export(e.ctx, subjectAsWritten, by("pirjo"))
	require.NoError(t, err)
	h := suppression.Hash(subjectAddr)
	assert.Equal(t, subjectAddr, doc.Address)
	assert.Equal(t, hex.EncodeToString(h[:]), doc.AddressHash)

	require.NotNil(t, doc.Contact)
	assert.Equal(t, d.contact.ID, doc.Contact.ID)
	assert.Equal(t, "+358 40 123 4567", doc.Contact.Phone)
	assert.Equal(t, "C-1001", doc.Contact.CustomerNumber)
	assert.NotNil(t, doc.Contact.BannedAt, "the objection banned")
	require.NotNil(t, doc.Company)
	assert.Equal(t, "0112038-9", doc.Company.BusinessID)

	var actions []string
	for _, p := range doc.Permissions {
		actions = append(actions, p.Action+" "+p.Source)
	}
	assert.Contains(t, actions, "consent webinar form")
	assert.Contains(t, actions, "ban unsubscribe (requested by email from "+subjectAddr+")")
	require.Len(t, doc.TrackingChoices, 1)
	assert.Equal(t, "individual", doc.TrackingChoices[0].Level)
	assert.Contains(t, string(doc.Engagement), `"opens_30d": 1`)

	var supp []string
	for _, s := range doc.Suppressions {
		supp = append(supp, string(s.Reason)+" "+s.Address+s.Domain)
	}
	assert.ElementsMatch(t, []string{"bounce " + subjectAddr, "unsubscribe " + subjectAddr, "manual yritys.fi"}, supp,
		"by address (all marketing and the brand's) and by domain")

	require.Len(t, doc.Sends, 2)
	assert.Equal(t, d.sent.ID, doc.Sends[0].CampaignID)
	assert.Equal(t, "Test campaign", doc.Sends[0].CampaignName)
	assert.Equal(t, "acme", doc.Sends[0].BrandName)
	assert.Equal(t, "sent", doc.Sends[0].Status)
	assert.NotEmpty(t, doc.Sends[0].MessageID)
	assert.Equal(t, "bounced", doc.Sends[1].Status)
	assert.Contains(t, doc.Sends[1].Detail, "5.1.1")

	types := map[string]int{}
	for _, ev := range doc.Events {
		types[ev.Type]++
		switch ev.Type {
		case "open", "click":
			assert.Equal(t, "198.51.100.23", ev.IP, "as stored")
			assert.Contains(t, ev.UserAgent, "Macintosh")
			assert.Equal(t, "Test campaign", ev.CampaignName)
		case "unsubscribe":
			if ev.IP != "" {
				assert.Equal(t, "203.0.113.9", ev.IP)
			}
		}
		if ev.Type == "click" {
			assert.Equal(t, "https://shop.example/offer", ev.LinkURL)
		}
	}
	assert.Equal(t, map[string]int{"sent": 1, "open": 1, "click": 1, "bounce": 1, "unsubscribe": 2,
		"suppression_added": 2}, types, "the subject's events and the suppression events naming the address")

	js, err := json.Marshal(doc)
	require.NoError(t, err)
	assert.NotContains(t, string(js), bystanderAddr, "nothing about anyone else")
	assert.NotContains(t, string(js), "198.51.100.99")

	audit, err := access.AuditLog(e.ctx, e.db.Pool, access.AuditQuery{Action: access.ActionSubjectExport})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, "pirjo", audit[0].Actor)
	assert.Equal(t, "192.0.2.50", audit[0].IP)
	assert.Equal(t, access.SubjectTarget(h[:]), audit[0].Target)
	assert.EqualValues(t, d.contact.ID, audit[0].Detail["contact_id"])
	assert.EqualValues(t, 2, audit[0].Detail["sends"])
}

func TestExportOfAnUnknownAddress(t *testing.T) {
	t.Parallel()
	e := setup(t)
	doc, err := e.svc.Export(e.ctx, "nobody@example.fi", by("pirjo"))
	require.NoError(t, err)
	assert.Nil(t, doc.Contact)
	js, err := json.Marshal(doc)
	require.NoError(t, err)
	for _, list := range []string{"marketing_permissions", "tracking_choices", "suppressions", "sends", "events"} {
		assert.Contains(t, string(js), `"`+list+`":[]`, "an empty list, not null")
	}
	assert.True(t, strings.Contains(string(js), `"contact":null`))

	_, err = e.svc.Export(e.ctx, "not an address", by("pirjo"))
	require.ErrorIs(t, err, privacy.ErrInvalid)
	audit, err := access.AuditLog(e.ctx, e.db.Pool, access.AuditQuery{Action: access.ActionSubjectExport})
	require.NoError(t, err)
	assert.Len(t, audit, 1, "a refused request exports nothing and records nothing")
}
