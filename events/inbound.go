package events

// Event types of inbound mail (package inbound). A hard bounce is Bounce, a feedback-loop
// complaint Complaint and a mailto unsubscribe Unsubscribe; these name the other verdicts.
const (
	SoftBounce   Type = "soft_bounce"  // returned for a reason that may pass (mailbox full, 4.x.x); Data holds the count
	Block        Type = "block"        // refused because of the sender or message (policy, spam, reputation); brand_id set
	Delayed      Type = "delayed"      // a relay reports it is still retrying
	Unclassified Type = "unclassified" // inbound mail Kirje could not classify (unknown bounce text, auto-reply)
)
