package events_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kirje/kirje/events"
)

func TestTypesAreValidAndUnique(t *testing.T) {
	t.Parallel()
	seen := map[events.Type]bool{}
	for _, typ := range events.Types() {
		assert.True(t, typ.Valid(), typ)
		assert.False(t, seen[typ], "duplicate %s", typ)
		seen[typ] = true
	}
	assert.False(t, events.Type("opened").Valid())
	assert.False(t, events.Type("").Valid())
}
