package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
)

// A failure the caller cannot fix is 500 with a generic message; the error is only in the log.
func TestInternalErrorsAreNotLeaked(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.tokens[access.RoleAdmin]
	e.db.Pool.Close()
	res := e.do(t, http.MethodGet, "/api/v1/me", tok, nil)
	assert.Equal(t, http.StatusInternalServerError, res.status)
	msg, details := res.errorBody(t)
	assert.Equal(t, "internal error; the server log has the details", msg)
	assert.Nil(t, details)
	assert.NotContains(t, string(res.body), "pool")
	require.NotEmpty(t, e.logs.records(t, "api: request failed"))
	assert.Contains(t, e.logs.String(), "closed pool")
}
