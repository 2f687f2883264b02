package inbound

import (
	"strings"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/inbound/dsn"
)

// eventType is the event recorded for a verdict. A hard bounce is the same Bounce event the
// worker records for an SMTP-time 5xx, so reports count both.
func eventType(v dsn.Verdict) events.Type {
	switch v {
	case dsn.Hard:
		return events.Bounce
	case dsn.Soft:
		return events.SoftBounce
	case dsn.Block:
		return events.Block
	case dsn.Delayed:
		return events.Delayed
	case dsn.Complaint:
		return events.Complaint
	}
	return events.Unclassified
}

// maxReason bounds events.reason; the whole diagnostic is in Data.
const maxReason = 500

// event is o's record: the status and diagnostic in Reason, everything the report said in Data.
// The recipient's address is kept only when it is not the matched contact's own (a forwarding
// target, or no contact matched): the contact's address is in the register already.
func (p *Processor) event(m message, o Outcome, mt match, key string) events.Event {
	data := map[string]any{"verdict": string(o.Verdict), "rule": o.Rule, "report": string(m.rep.Kind)}
	set := func(k, v string) {
		if v != "" {
			data[k] = v
		}
	}
	if mt.erased {
		// Remote servers echo the address in their diagnostics: an erased person's is not kept.
		o.Diagnostic = events.ScrubAddress(o.Diagnostic, o.Recipient)
	}
	set("source", m.env.Source)
	set("status", o.Status)
	set("action", o.Action)
	set("diagnostic", o.Diagnostic)
	set("remote_mta", o.RemoteMTA)
	set("match", o.Match)
	set("report_message_id", m.rep.MessageID)
	set("reporting_mta", m.rep.ReportingMTA)
	if o.Verdict == dsn.Hard {
		data["kind"] = "hard" // as the worker's SMTP-time bounce events say
	}
	if o.SoftBounces > 0 {
		data["soft_bounces"], data["soft_bounce_limit"] = o.SoftBounces, p.cfg.SoftBounceLimit
	}
	if fb := m.rep.Feedback; fb != nil {
		set("feedback_type", fb.Type)
		set("user_agent", fb.UserAgent)
		set("source_ip", fb.SourceIP)
	}
	if !mt.erased && o.Recipient != mt.email {
		set("final_recipient", o.Recipient)
	}
	reason := strings.TrimSpace(o.Status + " " + o.Diagnostic)
	if len(reason) > maxReason {
		reason = strings.ToValidUTF8(reason[:maxReason], "")
	}
	return events.Event{
		Type: eventType(o.Verdict), OccurredAt: p.cfg.Now(), CampaignID: mt.campaignID,
		ContactID: o.ContactID, BrandID: mt.brandID, Reason: reason, Data: data, DedupeKey: key,
	}
}
