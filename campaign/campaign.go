package campaign

import (
	"errors"
	"time"

	"github.com/kirje/kirje/templates"
)

// Errors callers branch on. They are wrapped with detail; test with errors.Is.
var (
	// ErrNotFound: no campaign (or link) with that ID.
	ErrNotFound = errors.New("campaign not found")
	// ErrInvalid: the input is not a valid campaign (empty name, unknown brand, bad segment,
	// template that does not compile or has no unsubscribe link...). Template errors are wrapped
	// too, so errors.Is(err, templates.ErrNoUnsubscribe) holds when that is the reason.
	ErrInvalid = errors.New("invalid campaign")
	// ErrNotDraft: only a draft campaign can be edited.
	ErrNotDraft = errors.New("campaign is not a draft")
	// ErrInvalidTransition: the campaign's status does not allow the change; the message names
	// the statuses from and to.
	ErrInvalidTransition = errors.New("invalid campaign status transition")
	// ErrStaleSchedule: MarkRunning was called for a schedule that has since been replaced (the
	// start task of an older schedule version fired).
	ErrStaleSchedule = errors.New("campaign schedule has changed")
	// ErrOpenSends: MarkDone was called while the ledger still has pending or sending rows.
	ErrOpenSends = errors.New("campaign still has open sends")
)

// Status is where a campaign is in its life.
type Status string

// Campaign statuses. Done and cancelled are final.
const (
	StatusDraft     Status = "draft"     // being written; editable
	StatusScheduled Status = "scheduled" // waits for ScheduledAt
	StatusRunning   Status = "running"   // audience materialised, batches sending
	StatusPaused    Status = "paused"    // no new batches are claimed until resumed
	StatusDone      Status = "done"      // every ledger row has its outcome
	StatusCancelled Status = "cancelled" // stopped for good; open ledger rows are never sent
)

// Final reports whether no transition leaves s.
func (s Status) Final() bool { return s == StatusDone || s == StatusCancelled }

// Campaign is one marketing message to a segment, sent as a brand.
type Campaign struct {
	ID      int64  `json:"id"`
	BrandID int64  `json:"brand_id"`
	Name    string `json:"name"`
	Subject string `json:"subject"` // text/template
	HTML    string `json:"html"`    // html/template
	Text    string `json:"text"`    // text/template; "" derives the text part from the HTML
	Layout  string `json:"layout"`  // templates.LayoutDefault or templates.LayoutNone
	Segment Filter `json:"segment"`
	Status  Status `json:"status"`
	// ScheduledAt is when the campaign starts; nil until it is first scheduled.
	ScheduledAt *time.Time `json:"scheduled_at,omitempty"`
	// ScheduleVersion grows with every (re)schedule; the start task's ID includes it, and
	// MarkRunning refuses a version that is not the current one.
	ScheduleVersion int        `json:"schedule_version"`
	StartedAt       *time.Time `json:"started_at,omitempty"`
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
	CreatedBy       string     `json:"created_by,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// Source is the campaign's message for templates.Compile.
func (c Campaign) Source() templates.Source {
	return templates.Source{Subject: c.Subject, HTML: c.HTML, Text: c.Text, Layout: c.Layout}
}

// Input is what a marketer writes: the fields Create and Update take.
type Input struct {
	BrandID   int64  `json:"brand_id"`
	Name      string `json:"name"`
	Subject   string `json:"subject"`
	HTML      string `json:"html"`
	Text      string `json:"text,omitempty"`
	Layout    string `json:"layout,omitempty"` // "" is templates.LayoutDefault
	Segment   Filter `json:"segment"`
	CreatedBy string `json:"created_by,omitempty"` // staff user name; Update ignores it
}

// ListOptions selects campaigns for List: newest first, keyset-paginated by ID.
type ListOptions struct {
	Statuses []Status // nil: any status
	BrandID  int64    // 0: any brand
	BeforeID int64    // 0: from the newest; else campaigns with a smaller ID (the last one seen)
	Limit    int      // 0: 100; at most 500
}
