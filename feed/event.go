package feed

import (
	"encoding/json"
	"time"

	"github.com/kirje/kirje/events"
)

// Event is one event as the feed serves it: the events row with its contact and link joined.
type Event struct {
	// Cursor resumes the feed after this event.
	Cursor     Cursor      `json:"cursor"`
	ID         int64       `json:"id"`
	Type       events.Type `json:"type"`
	Time       time.Time   `json:"time"`
	CampaignID int64       `json:"campaign_id,omitempty"`
	BrandID    int64       `json:"brand_id,omitempty"`
	// Contact is nil when the event names none and none could be found by the address of a
	// suppression event. A contact erased since carries only its ID.
	Contact *Contact `json:"contact,omitempty"`
	Link    *Link    `json:"link,omitempty"` // clicks
	// Machine: the open or click looked automated (Signals say why). The feed keeps them.
	Machine bool     `json:"machine"`
	Signals []string `json:"signals,omitempty"`
	// Reason is the suppression reason, bounce or failure detail, unsubscribe scope…
	Reason string `json:"reason,omitempty"`
	// Data is the event's own JSON: for suppression changes {address, domain, brand_id, reason…}.
	Data json.RawMessage `json:"data,omitempty"`
}

// Contact is the register's identity of an event's recipient.
type Contact struct {
	ID             int64  `json:"id"`
	Email          string `json:"email,omitempty"`
	CustomerNumber string `json:"customer_number,omitempty"`
	LeadID         string `json:"lead_id,omitempty"`
}

// Link is the tracked link a click followed.
type Link struct {
	ID  int    `json:"id"`
	URL string `json:"url,omitempty"`
}
