package feed_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/feed"
)

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []feed.Cursor{{Tx: 1, ID: 1}, {Tx: 760, ID: 0}, {Tx: 1 << 40, ID: 1<<63 - 1}, {Tx: 0, ID: 5}} {
		s := c.String()
		assert.Len(t, s, 23)
		got, err := feed.ParseCursor(s)
		require.NoError(t, err, s)
		assert.Equal(t, c, got)
	}
	zero, err := feed.ParseCursor("")
	require.NoError(t, err)
	assert.True(t, zero.IsZero())
	assert.Empty(t, feed.Cursor{}.String())
}

func TestParseCursorRefusesForeignStrings(t *testing.T) {
	t.Parallel()
	valid := feed.Cursor{Tx: 99, ID: 7}.String()
	for name, s := range map[string]string{
		"number":         "12345",
		"short":          valid[:22],
		"long":           valid + "A",
		"padding":        valid[:21] + "==",
		"not base64url":  strings.Repeat("+", 23),
		"version 2":      "AgAAAAAAAABjAAAAAAAAAAc",
		"negative id":    "AQAAAAAAAABj__________8",
		"encoded zero":   "AQAAAAAAAAAAAAAAAAAAAAA",
		"trailing bits":  valid[:22] + "B",
		"whitespace pad": " " + valid[1:],
	} {
		_, err := feed.ParseCursor(s)
		assert.ErrorIs(t, err, feed.ErrInvalidCursor, name)
	}
}

// FuzzParseCursor: cursors come from clients. Whatever ParseCursor accepts must encode back to
// the same string, so two spellings never name one position.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "x", feed.Cursor{Tx: 1, ID: 2}.String(), feed.Cursor{Tx: 1 << 50}.String(),
		"AQAAAAAAAABj__________8", "AgAAAAAAAABjAAAAAAAAAAc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := feed.ParseCursor(s)
		if err != nil {
			return
		}
		if c.String() != s {
			t.Fatalf("ParseCursor(%q) = %+v, which encodes as %q", s, c, c.String())
		}
	})
}
