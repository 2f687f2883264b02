package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/kirje/kirje/campaign"
)

// campaignInput is what a marketer writes; segment is validated with the filter's own parser so
// that its errors name their path.
type campaignInput struct {
	BrandID int64           `json:"brand_id"`
	Name    string          `json:"name"`
	Subject string          `json:"subject"`
	HTML    string          `json:"html"`
	Text    string          `json:"text"`
	Layout  string          `json:"layout"`
	Segment json.RawMessage `json:"segment"`
}

func decodeCampaign(r *http.Request) (campaign.Input, error) {
	var in campaignInput
	if err := decodeJSON(r, &in); err != nil {
		return campaign.Input{}, err
	}
	seg, err := parseSegment(in.Segment, "segment")
	if err != nil {
		return campaign.Input{}, err
	}
	return campaign.Input{BrandID: in.BrandID, Name: in.Name, Subject: in.Subject, HTML: in.HTML,
		Text: in.Text, Layout: in.Layout, Segment: seg, CreatedBy: actor(r)}, nil
}

func (a *API) createCampaign(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeCampaign(r)
	if err != nil {
		return err
	}
	c, err := a.campaigns.Create(r.Context(), in)
	if err != nil {
		return err
	}
	auditTarget(r, fmt.Sprintf("campaigns/%d", c.ID))
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// updateCampaign replaces a draft's content (PUT); a campaign once scheduled is 409.
func (a *API) updateCampaign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := decodeCampaign(r)
	if err != nil {
		return err
	}
	c, err := a.campaigns.Update(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// campaignView is a campaign with its send ledger counted by status.
type campaignView struct {
	campaign.Campaign
	Counts campaign.Counts `json:"counts"`
	// Estimate is the audience it would have if it started now, until it starts.
	Estimate *campaign.PreviewCounts `json:"estimate,omitempty"`
}

func (a *API) getCampaign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := a.campaigns.Get(r.Context(), id)
	if err != nil {
		return err
	}
	counts, err := campaign.LedgerCounts(r.Context(), a.db, id)
	if err != nil {
		return err
	}
	estimate, err := campaign.Estimate(r.Context(), a.db, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, campaignView{Campaign: c, Counts: counts, Estimate: estimate})
	return nil
}

// listCampaigns lists campaigns newest first: ?status=draft,scheduled (any of; repeatable),
// ?brand_id=, and paging where ?after= is the last (oldest) ID of the previous page.
func (a *API) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r, 500)
	if err != nil {
		return err
	}
	brand, err := queryID(r, "brand_id")
	if err != nil {
		return err
	}
	statuses, err := statusesParam(r)
	if err != nil {
		return err
	}
	cs, err := a.campaigns.List(r.Context(), campaign.ListOptions{Statuses: statuses, BrandID: brand,
		BeforeID: after, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(cs, limit, func(c campaign.Campaign) int64 { return c.ID }))
	return nil
}

func statusesParam(r *http.Request) ([]campaign.Status, error) {
	var out []campaign.Status
	for _, v := range r.URL.Query()["status"] {
		for s := range strings.SplitSeq(v, ",") {
			st := campaign.Status(strings.TrimSpace(s))
			switch st {
			case campaign.StatusDraft, campaign.StatusScheduled, campaign.StatusRunning,
				campaign.StatusPaused, campaign.StatusDone, campaign.StatusCancelled:
				out = append(out, st)
			default:
				return nil, badRequest("status %q is not one of draft, scheduled, running, paused, done, cancelled", s)
			}
		}
	}
	return out, nil
}
