package main

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/smtptest"
)

// Every command is either an admin command with the permission of its API route or one of the
// operator's: a new command must be placed in one or the other.
func TestEveryCommandIsClassified(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, c := range commands() {
		names[c.name] = true
		perm, admin := commandPermissions[c.name]
		operator := slices.Contains(operatorCommands, c.name)
		assert.True(t, admin != operator, "command %q must be in exactly one of commandPermissions and operatorCommands", c.name)
		if admin {
			assert.Contains(t, access.AllPermissions(), perm, "command %q", c.name)
			assert.Contains(t, c.settings, "admin-user", "command %q must read KIRJE_ADMIN_USER to check it", c.name)
		}
	}
	for name := range commandPermissions {
		assert.True(t, names[name], "commandPermissions names no command %q", name)
	}
	for _, name := range operatorCommands {
		assert.True(t, names[name], "operatorCommands names no command %q", name)
	}
}

// as returns the stack with KIRJE_ADMIN_USER set to name.
func (s *stack) as(name string) *stack {
	c := *s
	c.env = append(slices.Clone(s.env), "KIRJE_ADMIN_USER="+name)
	return &c
}

// A user named by KIRJE_ADMIN_USER acts with their role's rights, as through the API: only an
// admin removes a suppression, a disabled user does nothing, and a refusal changes nothing. A
// "cli:" label keeps the operator's authority; any other name that is no user's is refused.
func TestCLIActsWithTheNamedUsersRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStack(t, smtptest.Options{Discard: true})
	users := access.New(s.db.Pool)
	for name, role := range map[string]access.Role{"aino": access.RoleAdmin, "olli": access.RoleAnalyst,
		"pia": access.RolePrivacy, "eero": access.RoleAdmin} {
		_, err := users.CreateUser(ctx, name, role)
		require.NoError(t, err)
	}
	eero, err := users.UserByName(ctx, "eero")
	require.NoError(t, err)
	_, err = users.DisableUser(ctx, eero.ID)
	require.NoError(t, err)

	entries := func() int {
		var n int
		require.NoError(t, s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM suppressions`).Scan(&n))
		return n
	}
	s.kirje(t, "suppressions", "add", "anna@corp.example", "--source", "requested by phone")

	tests := []struct {
		user, want string // want: "" for success, else a part of the refusal
		args       []string
	}{
		{"olli", "role analyst, which does not grant suppressions:remove", []string{"suppressions", "remove", "anna@corp.example"}},
		{"pia", "role privacy, which does not grant suppressions:remove", []string{"suppressions", "remove", "anna@corp.example"}},
		{"eero", "user eero (KIRJE_ADMIN_USER) is disabled", []string{"suppressions", "remove", "anna@corp.example"}},
		{"OLLI", "role analyst", []string{"users", "add", "mallory", "--role", "admin"}},
		{"pia", "", []string{"suppressions", "add", "pekka@corp.example", "--source", "requested by email"}},
		{"olli", "does not grant suppressions:read", []string{"suppressions", "list"}},
		{"olli", "", []string{"campaigns", "list"}},
		{"aino", "", []string{"suppressions", "remove", "pekka@corp.example"}},
		{"cli:anna", "", []string{"suppressions", "list"}},                                     // a label: the operator
		{"ollli", "is no Kirje user", []string{"suppressions", "remove", "anna@corp.example"}}, // a typo
		{"system", "is not a user name", []string{"suppressions", "remove", "anna@corp.example"}},
	}
	for _, tt := range tests {
		before := entries()
		code, stderr := s.as(tt.user).kirjeExit(tt.args...)
		if tt.want == "" {
			assert.Equal(t, 0, code, "%s: kirje %v: %s", tt.user, tt.args, stderr)
			continue
		}
		assert.Equal(t, 1, code, "%s: kirje %v", tt.user, tt.args)
		assert.Contains(t, stderr, "not permitted")
		assert.Contains(t, stderr, tt.want)
		assert.Equal(t, before, entries(), "a refused command changes nothing")
	}
	_, err = users.UserByName(ctx, "mallory")
	require.ErrorIs(t, err, access.ErrNotFound, "an analyst cannot create an admin from the command line")

	var actor string
	require.NoError(t, s.db.Pool.QueryRow(ctx,
		`SELECT actor FROM audit_log WHERE action = 'suppression.remove' ORDER BY id DESC LIMIT 1`).Scan(&actor))
	assert.Equal(t, "aino", actor)

	// A user's name is recorded as stored, however it was written.
	s.as(" Aino ").kirje(t, "suppressions", "add", "liisa@corp.example", "--source", "requested by phone")
	require.NoError(t, s.db.Pool.QueryRow(ctx,
		`SELECT actor FROM audit_log WHERE action = 'suppression.add' ORDER BY id DESC LIMIT 1`).Scan(&actor))
	assert.Equal(t, "aino", actor)
}
