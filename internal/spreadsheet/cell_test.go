package spreadsheet_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kirje/kirje/internal/spreadsheet"
)

func TestDefuseAndRestore(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, defused string }{
		{"", ""},
		{"requested by phone", "requested by phone"},
		{"=HYPERLINK(\"http://evil.example\")", "'=HYPERLINK(\"http://evil.example\")"},
		{"+358401234567", "'+358401234567"},
		{"-2+3+cmd|'/Ccalc'!A0@example.com", "'-2+3+cmd|'/Ccalc'!A0@example.com"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"'-- by phone", "''-- by phone"}, // an apostrophe of its own survives the round trip
		{"'quoted", "''quoted"},
		{"'", "''"},
		{"a=b", "a=b"},
	} {
		assert.Equal(t, tt.defused, spreadsheet.Defuse(tt.in), "Defuse(%q)", tt.in)
		assert.Equal(t, tt.in, spreadsheet.Restore(spreadsheet.Defuse(tt.in)), "round trip of %q", tt.in)
	}
	assert.Equal(t, "'abc", spreadsheet.Restore("'abc"), "text another tool wrote is left alone")
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"", "'", "''", "'=", "=1+1", "-x", "plain", "\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := spreadsheet.Defuse(s)
		if got := spreadsheet.Restore(d); got != s {
			t.Fatalf("Restore(Defuse(%q)) = %q", s, got)
		}
		if d != "" && d[0] != '\'' && (d[0] == '=' || d[0] == '+' || d[0] == '-' || d[0] == '@' || d[0] == '\t' || d[0] == '\r') {
			t.Fatalf("Defuse(%q) = %q starts with a trigger", s, d)
		}
	})
}
