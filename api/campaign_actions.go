package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/emailaddr"
)

// Status changes of a campaign. Each answers the campaign as changed; a change its status does
// not allow is 409. Queue work is handed to the Scheduler after the change committed.

// scheduleCampaign: POST {"at": RFC 3339} (or no body: now).
func (a *API) scheduleCampaign(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		At *time.Time `json:"at"`
	}
	return a.transition(w, r, func(ctx context.Context, id int64) (campaign.Campaign, error) {
		if err := decodeOptionalJSON(r, &in); err != nil {
			return campaign.Campaign{}, err
		}
		at := a.now()
		if in.At != nil {
			at = *in.At
		}
		c, err := a.campaigns.Schedule(ctx, id, at)
		if err == nil {
			a.enqueue(r, c, a.scheduler.Scheduled(ctx, c))
		}
		return c, err
	})
}

func (a *API) pauseCampaign(w http.ResponseWriter, r *http.Request) error {
	return a.transition(w, r, a.campaigns.Pause)
}

func (a *API) cancelCampaign(w http.ResponseWriter, r *http.Request) error {
	return a.transition(w, r, a.campaigns.Cancel)
}

func (a *API) resumeCampaign(w http.ResponseWriter, r *http.Request) error {
	return a.transition(w, r, func(ctx context.Context, id int64) (campaign.Campaign, error) {
		c, err := a.campaigns.Resume(ctx, id)
		if err == nil {
			a.enqueue(r, c, a.scheduler.Resumed(ctx, c))
		}
		return c, err
	})
}

func (a *API) transition(w http.ResponseWriter, r *http.Request, change func(context.Context, int64) (campaign.Campaign, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := change(r.Context(), id)
	if err != nil {
		return err
	}
	auditDetail(r, slog.String("status", string(c.Status)), slog.Int("schedule_version", c.ScheduleVersion))
	writeJSON(w, http.StatusOK, c)
	return nil
}

// enqueue logs a failed hand-over to the queue. The change is committed and the reconciler will
// find the campaign, so the caller still gets success.
func (a *API) enqueue(r *http.Request, c campaign.Campaign, err error) {
	if err != nil {
		a.logger.LogAttrs(r.Context(), slog.LevelWarn, "api: enqueue failed; the reconciler will pick the campaign up",
			slog.Int64("campaign_id", c.ID), slog.String("status", string(c.Status)), slog.String("error", err.Error()))
	}
}

// testCampaign sends the campaign to 1..MaxTestRecipients staff addresses: POST {"to": [...]}.
func (a *API) testCampaign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		To []string `json:"to"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	to, err := testRecipients(in.To)
	if err != nil {
		return err
	}
	if a.tester == nil {
		return &requestError{status: http.StatusServiceUnavailable, msg: "test sends are not configured on this server"}
	}
	if _, err := a.campaigns.Get(r.Context(), id); err != nil {
		return err
	}
	if err := a.tester.SendTest(r.Context(), id, to); err != nil {
		a.logger.LogAttrs(r.Context(), slog.LevelWarn, "api: test send failed",
			slog.Int64("campaign_id", id), slog.String("error", err.Error()))
		return &requestError{status: http.StatusBadGateway, msg: "the test message could not be sent; the server log has the reason"}
	}
	auditDetail(r, slog.Int("recipients", len(to)))
	writeJSON(w, http.StatusOK, map[string]any{"sent": len(to), "to": to})
	return nil
}

func testRecipients(to []string) ([]string, error) {
	if len(to) == 0 || len(to) > MaxTestRecipients {
		return nil, &requestError{status: http.StatusUnprocessableEntity,
			msg:     fmt.Sprintf("to must list 1 to %d addresses", MaxTestRecipients),
			details: map[string]string{"field": "to", "reason": "count"}}
	}
	out := make([]string, len(to))
	for i, addr := range to {
		n, err := emailaddr.Normalize(addr)
		if err != nil {
			return nil, &requestError{status: http.StatusUnprocessableEntity, msg: fmt.Sprintf("to[%d]: %v", i, err),
				details: map[string]string{"field": fmt.Sprintf("to[%d]", i), "reason": err.Error()}}
		}
		out[i] = n
	}
	return out, nil
}
