package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/pg"
)

// ErrNotFound is returned for a campaign that does not exist.
var ErrNotFound = errors.New("report: campaign not found")

// Options choose what is counted.
type Options struct {
	// IncludeMachine counts machine opens and clicks as if they were human.
	IncludeMachine bool
}

// Report is one campaign's figures.
type Report struct {
	CampaignID     int64           `json:"campaign_id"`
	Name           string          `json:"name"`
	Status         campaign.Status `json:"status"`
	IncludeMachine bool            `json:"include_machine"`
	GeneratedAt    time.Time       `json:"generated_at"`

	Audience  int64            `json:"audience"`   // ledger rows: everyone the segment matched
	Sent      int64            `json:"sent"`       // accepted by the relay
	Dropped   int64            `json:"dropped"`    // not sent: suppressed, banned, no consent
	DroppedBy map[string]int64 `json:"dropped_by"` // by reason ("suppressed", "banned", "no_consent"…)
	Bounced   int64            `json:"bounced"`    // recipients with a bounce, at send time or later
	Failed    int64            `json:"failed"`     // not delivered for other reasons
	Pending   int64            `json:"pending"`    // not yet sent (a running campaign)

	UniqueOpens   int64   `json:"unique_opens"` // recipients with a (human) open
	Opens         int64   `json:"opens"`        // (human) open events
	MachineOpens  int64   `json:"machine_opens"`
	UniqueClicks  int64   `json:"unique_clicks"`
	Clicks        int64   `json:"clicks"`
	MachineClicks int64   `json:"machine_clicks"`
	OpenRate      float64 `json:"open_rate"`     // UniqueOpens / Sent
	ClickRate     float64 `json:"click_rate"`    // UniqueClicks / Sent
	ClickToOpen   float64 `json:"click_to_open"` // UniqueClicks / UniqueOpens
	Unsubscribes  int64   `json:"unsubscribes"`  // recipients who unsubscribed from this campaign
	Complaints    int64   `json:"complaints"`    // recipients who complained about it

	Links    []Link `json:"links"`
	Timeline []Hour `json:"timeline"`
}

// Link is a tracked link's clicks.
type Link struct {
	ID            int    `json:"id"`
	URL           string `json:"url"`
	Honeypot      bool   `json:"honeypot,omitempty"` // invisible to people: its clicks are machines'
	UniqueClicks  int64  `json:"unique_clicks"`
	Clicks        int64  `json:"clicks"`
	MachineClicks int64  `json:"machine_clicks"`
}

// Hour is one hour (UTC) of the campaign's events.
type Hour struct {
	Hour         time.Time `json:"hour"`
	Sent         int64     `json:"sent"`
	Opens        int64     `json:"opens"`
	Clicks       int64     `json:"clicks"`
	Unsubscribes int64     `json:"unsubscribes"`
	Bounces      int64     `json:"bounces"`
}

// Campaign computes the report of campaign id as of now, or returns ErrNotFound.
func Campaign(ctx context.Context, db pg.DBTX, id int64, opts Options, now time.Time) (Report, error) {
	c, err := campaign.New(db).Get(ctx, id)
	if errors.Is(err, campaign.ErrNotFound) {
		return Report{}, fmt.Errorf("report: campaign %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Report{}, fmt.Errorf("report: campaign %d: %w", id, err)
	}
	r := Report{CampaignID: id, Name: c.Name, Status: c.Status, IncludeMachine: opts.IncludeMachine, GeneratedAt: now.UTC()}
	for _, step := range []func(context.Context, pg.DBTX, *Report) error{summary, droppedBy, links, timeline} {
		if err := step(ctx, db, &r); err != nil {
			return Report{}, fmt.Errorf("report: campaign %d: %w", id, err)
		}
	}
	if r.Links == nil {
		r.Links = []Link{}
	}
	if r.Timeline == nil {
		r.Timeline = []Hour{}
	}
	r.OpenRate = ratio(r.UniqueOpens, r.Sent)
	r.ClickRate = ratio(r.UniqueClicks, r.Sent)
	r.ClickToOpen = ratio(r.UniqueClicks, r.UniqueOpens)
	return r, nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
