package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/privacy"
)

// kirjeExit runs a CLI command in-process and returns its exit status and standard error.
func (s *stack) kirjeExit(args ...string) (int, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb, s.getenv)
	return code, errb.String()
}

// The subject commands carry out each right and leave one audit entry each, naming the CLI actor
// and the subject by hash only.
func TestSubjectCommands(t *testing.T) {
	t.Parallel()
	s := newStack(t, smtptest.Options{}, "KIRJE_ADMIN_USER=cli:root")
	c := fixture.Contact(t, s.db.Pool, "anna@kone.example", "Buyer")
	const addr = "Anna@Kone.example"

	out := s.kirje(t, "contacts", "update", addr, "--last-name", "Korhonen", "--job-title", "CEO", "--phone", "")
	assert.Contains(t, out, "changed last_name, job_title")
	code, stderr := s.kirjeExit("contacts", "update", addr)
	assert.Equal(t, 2, code, stderr)

	s.kirje(t, "subjects", "tracking", addr, "--level", "off", "--source", "requested by email")
	assert.EqualValues(t, 1, s.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND tracking = 'off'`, c.ID))
	s.kirje(t, "subjects", "object", addr, "--source", "requested by email")
	assert.EqualValues(t, 1, s.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND banned_at IS NOT NULL`, c.ID))
	code, stderr = s.kirjeExit("subjects", "object", addr)
	assert.Equal(t, 2, code, "a source is required: %s", stderr)

	var doc privacy.Document
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "subjects", "export", addr)), &doc))
	require.NotNil(t, doc.Contact)
	assert.Equal(t, "Korhonen", doc.Contact.LastName)
	file := filepath.Join(t.TempDir(), "anna.json")
	assert.Contains(t, s.kirje(t, "subjects", "export", addr, "--out", file), "wrote")
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the document is for the requester's eyes")

	code, stderr = s.kirjeExit("subjects", "erase", addr)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--yes")
	assert.EqualValues(t, 1, s.count(t, `SELECT count(*) FROM contacts WHERE id = $1`, c.ID), "nothing erased unconfirmed")
	assert.Contains(t, s.kirje(t, "subjects", "erase", addr, "--yes"), "erased")
	assert.EqualValues(t, 0, s.count(t, `SELECT count(*) FROM contacts WHERE email = 'anna@kone.example'`))

	var entries []access.Entry
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "audit", "list", "--json", "--user", "cli:root")), &entries))
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
		assert.Equal(t, "cli:root", e.Actor)
		assert.NotContains(t, strings.ToLower(e.Target), "anna")
	}
	assert.Equal(t, []string{access.ActionContactRectify, access.ActionContactTracking, access.ActionSubjectObjection,
		access.ActionSubjectExport, access.ActionSubjectExport, access.ActionSubjectErase}, actions)
	assert.Equal(t, []any{"last_name", "job_title"}, entries[0].Detail["changed"])

	table := s.kirje(t, "audit", "list", "--action", access.ActionSubjectErase)
	assert.Contains(t, table, "subject.erase")
	assert.Contains(t, table, "cli:root")
	assert.Equal(t, "[]\n", s.kirje(t, "audit", "list", "--json", "--user", "nobody"))
}

func TestRetentionSettings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true}, {"0", 0, true}, {"2160h", 2160 * time.Hour, true},
		{"30m", 0, false}, {"-1d", 0, false}, {"soon", 0, false},
	} {
		var c Config
		err := setRetention(func(c *Config) *time.Duration { return &c.RetentionIP })(&c, tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, c.RetentionIP, tt.in)
	}
	c, err := configFromEnv(func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, 90*24*time.Hour, c.RetentionIP, "default")
	assert.Equal(t, 730*24*time.Hour, c.RetentionEvents, "default")
}
