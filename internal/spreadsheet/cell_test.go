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
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"'quoted", "'quoted"}, // not a trigger after the apostrophe: left alone both ways
		{"a=b", "a=b"},
	} {
		assert.Equal(t, tt.defused, spreadsheet.Defuse(tt.in), "Defuse(%q)", tt.in)
		assert.Equal(t, tt.in, spreadsheet.Restore(spreadsheet.Defuse(tt.in)), "round trip of %q", tt.in)
	}
}
