package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/api"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/fixture"
)

func campaignBody(brandID int64, segment any) map[string]any {
	return map[string]any{"brand_id": brandID, "name": "Spring offer", "subject": "Hello {{ .Contact.FirstName }}",
		"html": fixture.DefaultHTML, "segment": segment}
}

func TestSegmentPreview(t *testing.T) {
	t.Parallel()
	e := setup(t)
	fixture.Contact(t, e.db.Pool, "buyer@kone.example", "Purchasing Manager")
	fixture.Contact(t, e.db.Pool, "ceo@kone.example", "CEO")
	res := e.as(t, access.RoleAnalyst, http.MethodPost, "/api/v1/segments/preview",
		map[string]any{"filter": map[string]any{"field": "job_title", "op": "contains", "value": "purch"}})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var counts campaign.PreviewCounts
	res.json(t, &counts)
	assert.Equal(t, campaign.PreviewCounts{Matching: 1, Mailable: 1}, counts)

	res = e.as(t, access.RoleAnalyst, http.MethodPost, "/api/v1/segments/preview",
		map[string]any{"filter": map[string]any{"all": []any{
			map[string]any{"field": "country", "op": "eq", "value": "FI"},
			map[string]any{"field": "titel", "op": "eq", "value": "x"}}}})
	assert.Equal(t, http.StatusUnprocessableEntity, res.status)
	msg, details := res.errorBody(t)
	assert.Contains(t, msg, "all[1].field")
	assert.Contains(t, msg, "titel")
	assert.Equal(t, "all[1].field", details["path"])

	res = e.as(t, access.RoleAnalyst, http.MethodPost, "/api/v1/segments/preview", map[string]any{})
	assert.Equal(t, http.StatusUnprocessableEntity, res.status, "a filter is required")
}

func TestCampaignLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	brand := fixture.Brand(t, e.db.Pool, "kone")
	fixture.Contact(t, e.db.Pool, "buyer@kone.example", "Purchasing Manager")

	res := e.as(t, access.RoleMarketer, http.MethodPost, "/api/v1/campaigns", campaignBody(brand.ID, map[string]any{}))
	require.Equal(t, http.StatusCreated, res.status, "%s", res.body)
	var c campaign.Campaign
	res.json(t, &c)
	assert.Equal(t, campaign.StatusDraft, c.Status)
	assert.Equal(t, "staff-marketer", c.CreatedBy)
	base := fmt.Sprintf("/api/v1/campaigns/%d", c.ID)

	upd := campaignBody(brand.ID, map[string]any{"field": "job_title", "op": "contains", "value": "purch"})
	upd["name"] = "Spring offer v2"
	res = e.as(t, access.RoleMarketer, http.MethodPut, base, upd)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	fixture.Contact(t, e.db.Pool, "ceo@kone.example", "CEO") // outside the segment
	res = e.as(t, access.RoleAnalyst, http.MethodGet, base, nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var draft struct {
		Counts   campaign.Counts
		Estimate *campaign.PreviewCounts
	}
	res.json(t, &draft)
	assert.Zero(t, draft.Counts.Audience, "a draft has no ledger")
	assert.Equal(t, &campaign.PreviewCounts{Matching: 1, Mailable: 1}, draft.Estimate, "but shows whom it would reach")

	at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	res = e.as(t, access.RoleMarketer, http.MethodPost, base+"/schedule", map[string]any{"at": at})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	res.json(t, &c)
	assert.Equal(t, campaign.StatusScheduled, c.Status)
	require.NotNil(t, c.ScheduledAt)
	assert.True(t, c.ScheduledAt.Equal(at))
	scheduled, _ := e.sched.calls()
	require.Len(t, scheduled, 1, "the start is handed to the queue")
	assert.Equal(t, c.ScheduleVersion, scheduled[0].ScheduleVersion)

	res = e.as(t, access.RoleMarketer, http.MethodPut, base, upd)
	assert.Equal(t, http.StatusConflict, res.status, "only drafts are edited")

	res = e.as(t, access.RoleMarketer, http.MethodPost, base+"/pause", nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	res = e.as(t, access.RoleMarketer, http.MethodPost, base+"/resume", nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	res.json(t, &c)
	assert.Equal(t, campaign.StatusScheduled, c.Status, "resumed before it started: scheduled again")
	_, resumed := e.sched.calls()
	require.Len(t, resumed, 1)

	var view struct {
		campaign.Campaign
		Counts campaign.Counts `json:"counts"`
	}
	res = e.as(t, access.RoleAnalyst, http.MethodGet, base, nil)
	require.Equal(t, http.StatusOK, res.status)
	res.json(t, &view)
	assert.Equal(t, "Spring offer v2", view.Name)
	assert.Equal(t, campaign.Counts{}, view.Counts)
	assert.Contains(t, string(res.body), `"pending":0`)

	res = e.as(t, access.RoleMarketer, http.MethodPost, base+"/cancel", nil)
	require.Equal(t, http.StatusOK, res.status)
	for _, action := range []string{"/cancel", "/pause", "/resume", "/schedule"} {
		res = e.as(t, access.RoleMarketer, http.MethodPost, base+action, nil)
		assert.Equal(t, http.StatusConflict, res.status, "%s after cancel", action)
		msg, _ := res.errorBody(t)
		assert.Contains(t, msg, "cancelled")
	}
	got, err := campaign.New(e.db.Pool).Get(e.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, campaign.StatusCancelled, got.Status)
	res = e.as(t, access.RoleMarketer, http.MethodPost, "/api/v1/campaigns/999999/pause", nil)
	assert.Equal(t, http.StatusNotFound, res.status)
}

func TestScheduleNowAndEnqueueFailure(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.sched.fail(errors.New("redis is down"))
	c := fixture.Campaign(t, e.db.Pool, fixture.Brand(t, e.db.Pool, "kone"), "")
	before := time.Now()
	res := e.as(t, access.RoleAdmin, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/schedule", c.ID), nil)
	require.Equal(t, http.StatusOK, res.status, "the change stands; the reconciler finds it: %s", res.body)
	res.json(t, &c)
	require.NotNil(t, c.ScheduledAt)
	assert.False(t, c.ScheduledAt.Before(before.Add(-time.Second)), "no time: now")
	assert.Contains(t, e.logs.String(), "redis is down")
}

func TestCampaignBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	brand := fixture.Brand(t, e.db.Pool, "kone")
	noUnsub := campaignBody(brand.ID, map[string]any{})
	noUnsub["layout"] = "none"
	tests := []struct {
		name   string
		body   any
		status int
		msg    string
	}{
		{"bad filter", campaignBody(brand.ID, map[string]any{"not": map[string]any{"field": "country", "op": "like", "value": "F"}}),
			http.StatusUnprocessableEntity, "not.op"},
		{"no segment", campaignBody(brand.ID, nil), http.StatusUnprocessableEntity, "segment is required"},
		{"unknown brand", campaignBody(999999, map[string]any{}), http.StatusUnprocessableEntity, "brand"},
		{"no unsubscribe link", noUnsub, http.StatusUnprocessableEntity, "unsubscribe"},
		{"unknown field", `{"brand_id": 1, "segmnet": {}}`, http.StatusBadRequest, `unknown field "segmnet"`},
	}
	for _, tt := range tests {
		res := e.as(t, access.RoleMarketer, http.MethodPost, "/api/v1/campaigns", tt.body)
		assert.Equal(t, tt.status, res.status, "%s: %s", tt.name, res.body)
		msg, _ := res.errorBody(t)
		assert.Contains(t, msg, tt.msg, tt.name)
	}
	cs, err := campaign.New(e.db.Pool).List(e.ctx, campaign.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, cs)

	// A refused update leaves the draft as it was.
	c := fixture.Campaign(t, e.db.Pool, brand, "")
	bad := campaignBody(brand.ID, map[string]any{"field": "nope", "op": "eq", "value": 1})
	res := e.as(t, access.RoleMarketer, http.MethodPut, fmt.Sprintf("/api/v1/campaigns/%d", c.ID), bad)
	assert.Equal(t, http.StatusUnprocessableEntity, res.status)
	got, err := campaign.New(e.db.Pool).Get(e.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c.Name, got.Name)
	res = e.as(t, access.RoleMarketer, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/schedule", c.ID), `{"at": "tomorrow"}`)
	assert.Equal(t, http.StatusBadRequest, res.status)
	got, err = campaign.New(e.db.Pool).Get(e.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, campaign.StatusDraft, got.Status)
}

func TestListCampaigns(t *testing.T) {
	t.Parallel()
	e := setup(t)
	brand := fixture.Brand(t, e.db.Pool, "kone")
	var ids []int64
	for i := range 5 {
		c := fixture.Campaign(t, e.db.Pool, brand, "")
		if i%2 == 0 {
			_, err := campaign.New(e.db.Pool).Schedule(e.ctx, c.ID, time.Now().Add(time.Hour))
			require.NoError(t, err)
		}
		ids = append(ids, c.ID)
	}
	type pageT struct {
		Items []campaign.Campaign `json:"items"`
		Next  *int64              `json:"next"`
	}
	var p pageT
	e.as(t, access.RoleAnalyst, http.MethodGet, "/api/v1/campaigns?status=scheduled", nil).json(t, &p)
	require.Len(t, p.Items, 3)
	assert.Equal(t, []int64{ids[4], ids[2], ids[0]}, []int64{p.Items[0].ID, p.Items[1].ID, p.Items[2].ID})

	e.as(t, access.RoleAnalyst, http.MethodGet, "/api/v1/campaigns?limit=2", nil).json(t, &p)
	require.Len(t, p.Items, 2)
	require.NotNil(t, p.Next)
	e.as(t, access.RoleAnalyst, http.MethodGet, fmt.Sprintf("/api/v1/campaigns?limit=2&after=%d", *p.Next), nil).json(t, &p)
	assert.Equal(t, []int64{ids[2], ids[1]}, []int64{p.Items[0].ID, p.Items[1].ID})

	res := e.as(t, access.RoleAnalyst, http.MethodGet, "/api/v1/campaigns?status=sent", nil)
	assert.Equal(t, http.StatusBadRequest, res.status)
}

// Test sends go through the worker's own Tester to an SMTP sink.
func TestCampaignTestSend(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) {
		o.rcpt = func(to string) error {
			if strings.HasPrefix(to, "refused@") {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user at smtp.internal"}
			}
			return nil
		}
	})
	c := fixture.Campaign(t, e.db.Pool, fixture.Brand(t, e.db.Pool, "kone"), "")
	path := fmt.Sprintf("/api/v1/campaigns/%d/test", c.ID)
	res := e.as(t, access.RoleMarketer, http.MethodPost, path, map[string]any{"to": []string{"Me@Kone.Example", "you@kone.example"}})
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	require.Len(t, e.sink.To("me@kone.example"), 1)
	require.Len(t, e.sink.To("you@kone.example"), 1)
	assert.Contains(t, e.sink.To("me@kone.example")[0].Header("Subject"), "[TEST]")
	counts, err := campaign.LedgerCounts(e.ctx, e.db.Pool, c.ID)
	require.NoError(t, err)
	assert.Zero(t, counts.Audience, "test sends are not campaign sends")

	for _, tt := range []struct {
		body   any
		status int
		field  string
	}{
		{map[string]any{"to": []string{"me@kone.example", "nope"}}, http.StatusUnprocessableEntity, "to[1]"},
		{map[string]any{"to": []string{}}, http.StatusUnprocessableEntity, "to"},
		{map[string]any{"to": make([]string, api.MaxTestRecipients+1)}, http.StatusUnprocessableEntity, "to"},
		{map[string]any{"too": []string{"me@kone.example"}}, http.StatusBadRequest, ""},
	} {
		res = e.as(t, access.RoleMarketer, http.MethodPost, path, tt.body)
		assert.Equal(t, tt.status, res.status, "%v: %s", tt.body, res.body)
		if _, details := res.errorBody(t); tt.field != "" {
			assert.Equal(t, tt.field, details["field"])
		}
	}
	res = e.as(t, access.RoleMarketer, http.MethodPost, "/api/v1/campaigns/999999/test", map[string]any{"to": []string{"me@kone.example"}})
	assert.Equal(t, http.StatusNotFound, res.status)
	assert.EqualValues(t, 2, e.sink.Accepted(), "refused requests send nothing")

	res = e.as(t, access.RoleMarketer, http.MethodPost, path, map[string]any{"to": []string{"refused@kone.example"}})
	assert.Equal(t, http.StatusBadGateway, res.status, "%s", res.body)
	msg, _ := res.errorBody(t)
	assert.NotContains(t, msg, "smtp.internal")
	assert.Contains(t, e.logs.String(), "smtp.internal", "the reason is in the log")
}
