package events

import "slices"

// Types lists every event type (feed and webhook consumers may filter by these names). A new
// type constant must be added here, or the feed refuses it as a filter.
func Types() []Type {
	return []Type{Sent, Dropped, Bounce, Failed, Open, Click, Unsubscribe, Resubscribe, Complaint,
		SuppressionAdded, SuppressionRemoved, SubjectErased, SoftBounce, Block, Delayed, Unclassified}
}

// Valid reports whether t is one of the declared event types.
func (t Type) Valid() bool { return slices.Contains(Types(), t) }
