package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// Staff manage the list from the CLI: whole domains, one brand's marketing, reasons, CSV
// imports and JSON listings; bad input exits non-zero with a reason and adds nothing.
func TestSuppressionsCLI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStack(t, smtptest.Options{Discard: true})
	s.kirje(t, "brands", "create", "--name", "acme", "--from", "Acme <news@acme.example>", "--address", "Katu 1, Helsinki")
	brand, err := register.New(s.db.Pool).BrandByName(ctx, "acme")
	require.NoError(t, err)

	s.kirje(t, "suppressions", "add", "@Corp.Example", "--reason", "manual", "--source", "asked by phone")
	s.kirje(t, "suppressions", "add", "Pekka@Other.Example", "--reason", "complaint", "--brand", "acme")
	out := s.kirje(t, "suppressions", "import", writeFile(t, "email\nliisa@third.example\nnot an address\nliisa@third.example\n"))
	assert.True(t, strings.HasPrefix(out, "added 1, already present 1, rejected 1\n  line 3: "), "the bad row is named by its line: %q", out)

	for _, bad := range [][]string{
		{"suppressions", "add", "not-an-address"},
		{"suppressions", "add", "x@corp.example", "--reason", "whim"},
		{"suppressions", "add", "x@corp.example", "--brand", "no-such-brand"},
		{"suppressions", "import", writeFile(t, "phone\n040123\n")},
	} {
		var stdout, stderr bytes.Buffer
		code := run(ctx, bad, strings.NewReader(""), &stdout, &stderr, s.getenv)
		assert.NotZero(t, code, "%v", bad)
		assert.NotEmpty(t, strings.TrimSpace(stderr.String()), "%v says why", bad)
	}

	var entries []suppression.Entry
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "suppressions", "list", "--json")), &entries))
	type row struct {
		Address, Domain string
		Brand           int64
		Reason          suppression.Reason
		Source          string
	}
	var got []row
	for _, e := range entries {
		got = append(got, row{e.Address, e.Domain, e.BrandID, e.Reason, e.Source})
	}
	assert.Equal(t, []row{
		{Domain: "corp.example", Reason: suppression.ReasonManual, Source: "asked by phone"},
		{Address: "pekka@other.example", Brand: brand.ID, Reason: suppression.ReasonComplaint, Source: "cli"},
		{Address: "liisa@third.example", Reason: suppression.ReasonImport, Source: "cli import"},
	}, got, "only the good input, normalised")
}
