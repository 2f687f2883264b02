package webhook_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kirje/kirje/webhook"
)

// asynq routes an unknown type to the longest registered prefix: every type needs its handler.
func TestEveryTaskTypeHasAHandler(t *testing.T) {
	t.Parallel()
	hs := webhook.NewDispatcher(nil, nil, webhook.Config{}).Handlers()
	assert.Len(t, hs, 2)
	for _, typ := range []string{webhook.TypePump, webhook.TypeDeliver} {
		assert.NotNil(t, hs[typ], typ)
	}
}
