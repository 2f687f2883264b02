package webhook

import "errors"

// Errors callers branch on.
var (
	ErrNotFound = errors.New("webhook: subscription not found")
	ErrInvalid  = errors.New("webhook: invalid subscription")
)
