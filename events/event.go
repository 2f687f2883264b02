package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kirje/kirje/internal/pg"
)

// Type names what happened.
type Type string

// Event types. Feed consumers see these strings.
const (
	Sent               Type = "sent"        // accepted by the relay; Reason holds the Message-ID
	Dropped            Type = "dropped"     // not sent: suppressed, banned or without consent; Reason says which
	Bounce             Type = "bounce"      // rejected for the address (hard) or later returned
	Failed             Type = "failed"      // not delivered for a reason that is not the address (policy block, retries exhausted)
	Open               Type = "open"        // the pixel was fetched
	Click              Type = "click"       // a tracked link was followed
	Unsubscribe        Type = "unsubscribe" // the recipient opted out (page, one-click or mailto)
	Resubscribe        Type = "resubscribe" // the recipient undid an unsubscribe
	Complaint          Type = "complaint"   // a spam complaint arrived
	SuppressionAdded   Type = "suppression_added"
	SuppressionRemoved Type = "suppression_removed"
	// SubjectErased: a data subject was erased at their request. Data holds the address's
	// hash (address_hash), which systems that received their data can match to erase it too.
	// Like every other event about the person, it names no contact.
	SubjectErased Type = "erased"
)

// Event is one row of the events table. Zero IDs mean "not known" and are stored as NULL.
type Event struct {
	ID         int64
	Type       Type
	OccurredAt time.Time
	CampaignID int64
	ContactID  int64
	BrandID    int64
	LinkID     int
	IP         string
	UserAgent  string
	Machine    bool
	Signals    []string
	Reason     string
	Data       map[string]any
	// DedupeKey makes a write idempotent: an event whose key is already stored is skipped.
	DedupeKey string
}

// insertSQL writes many events in one statement from parallel arrays. ON CONFLICT skips events
// whose dedupe key is already stored, which makes redelivered writes harmless.
const insertSQL = `
INSERT INTO events (type, occurred_at, campaign_id, contact_id, brand_id, link_id, ip, user_agent,
                    machine, signals, reason, data, dedupe_key)
SELECT t.type, t.occurred_at, nullif(t.campaign_id, 0), nullif(t.contact_id, 0), nullif(t.brand_id, 0),
       nullif(t.link_id, 0), nullif(t.ip, ''), nullif(t.user_agent, ''), t.machine,
       coalesce(string_to_array(nullif(t.signals, ''), ','), '{}'), t.reason, t.data::jsonb,
       nullif(t.dedupe_key, '')
FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], $6::int[],
            $7::text[], $8::text[], $9::bool[], $10::text[], $11::text[], $12::text[], $13::text[])
     AS t(type, occurred_at, campaign_id, contact_id, brand_id, link_id, ip, user_agent,
          machine, signals, reason, data, dedupe_key)
ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`

// Insert writes events with db (a pool or the caller's transaction). Events with a DedupeKey that
// is already stored are skipped; it returns how many rows were written.
func Insert(ctx context.Context, db pg.DBTX, evs ...Event) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	n := len(evs)
	var (
		types, ips, uas, signals, reasons, keys = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		data                                    = make([]*string, n)
		at                                      = make([]time.Time, n)
		campaigns, contacts, brands             = make([]int64, n), make([]int64, n), make([]int64, n)
		links                                   = make([]int32, n)
		machine                                 = make([]bool, n)
	)
	for i, e := range evs {
		if e.Type == "" {
			return 0, fmt.Errorf("events: insert: event %d has no type", i)
		}
		if e.OccurredAt.IsZero() {
			e.OccurredAt = time.Now()
		}
		types[i], at[i] = string(e.Type), e.OccurredAt
		campaigns[i], contacts[i], brands[i], links[i] = e.CampaignID, e.ContactID, e.BrandID, int32(e.LinkID)
		ips[i], uas[i], machine[i], reasons[i], keys[i] = e.IP, e.UserAgent, e.Machine, e.Reason, e.DedupeKey
		signals[i] = strings.Join(e.Signals, ",")
		if e.Data != nil {
			b, err := json.Marshal(e.Data)
			if err != nil {
				return 0, fmt.Errorf("events: insert: data of event %d: %w", i, err)
			}
			s := string(b)
			data[i] = &s
		}
	}
	tag, err := db.Exec(ctx, insertSQL, types, at, campaigns, contacts, brands, links, ips, uas,
		machine, signals, reasons, data, keys)
	if err != nil {
		return 0, fmt.Errorf("events: insert: %w", err)
	}
	return tag.RowsAffected(), nil
}
