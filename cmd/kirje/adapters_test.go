package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/tracking"
)

// The tracking endpoint answers by tracking's errors: optout's refusals must reach it as those,
// and keep their own meaning for the logs.
func TestOptoutErrorsReachTheTrackingEndpoint(t *testing.T) {
	t.Parallel()
	other := errors.New("connection refused")
	for _, tt := range []struct {
		name string
		err  error
		want error // the tracking error it must match, nil for none
	}{
		{"nothing to undo: the page says so", fmt.Errorf("optout: undo: %w", optout.ErrNothingToUndo), tracking.ErrNothingToUndo},
		{"a brand opt-out without a brand: 404", fmt.Errorf("optout: unsubscribe: %w", optout.ErrInvalid), tracking.ErrNotFound},
		{"anything else: 503", other, nil},
		{"success", nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := optoutError(tt.err)
			if tt.err == nil {
				assert.NoError(t, got)
				return
			}
			assert.ErrorIs(t, got, tt.err, "the original error stays in the chain")
			for _, te := range []error{tracking.ErrNotFound, tracking.ErrNothingToUndo} {
				assert.Equal(t, te == tt.want, errors.Is(got, te), "is %v", te)
			}
		})
	}
}
