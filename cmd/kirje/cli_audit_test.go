package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/smtptest"
)

// Staff actions from the CLI land in the audit log under the CLI user's name, like the API's.
func TestCLIActionsAreAudited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStack(t, smtptest.Options{Discard: true}, "KIRJE_ADMIN_USER=cli:anna")
	s.kirje(t, "brands", "create", "--name", "acme", "--from", "Acme <news@acme.example>", "--address", "Katu 1, Helsinki")
	fixture.Contact(t, s.db.Pool, "pekka@corp.example", "Buyer")
	id := strings.TrimSpace(s.kirje(t, "campaigns", "create", "--brand", "acme", "--name", "Spring", "--subject", "Hi",
		"--html", writeFile(t, fixture.DefaultHTML)))
	s.kirje(t, "campaigns", "schedule", id, "--at", time.Now().Add(time.Hour).Format(time.RFC3339))
	s.kirje(t, "campaigns", "pause", id)
	s.kirje(t, "suppressions", "add", "someone@corp.example", "--source", "requested by phone")
	s.kirje(t, "suppressions", "remove", "someone@corp.example")
	s.kirje(t, "users", "add", "olli", "--role", "analyst", "--token")
	out := s.kirje(t, "suppressions", "export")
	assert.Contains(t, out, "email")

	rows, err := s.db.Pool.Query(ctx, `SELECT actor, action, target FROM audit_log ORDER BY id`)
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var actor, action, target string
		require.NoError(t, rows.Scan(&actor, &action, &target))
		assert.Equal(t, "cli:anna", actor)
		assert.NotContains(t, target, "someone@corp.example", "the audit log names people by hash, never by address")
		got = append(got, action)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"brand.create", "campaign.create", "campaign.schedule", "campaign.pause",
		"suppression.add", "suppression.remove", "user.create", "token.issue", "suppression.export"}, got)
}
