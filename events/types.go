package events

import "slices"

// Types lists every event type, in the order they are declared.
func Types() []Type {
	return []Type{Sent, Dropped, Bounce, Failed, Open, Click, Unsubscribe, Resubscribe, Complaint,
		SuppressionAdded, SuppressionRemoved}
}

// Valid reports whether t is one of the declared event types.
func (t Type) Valid() bool { return slices.Contains(Types(), t) }
