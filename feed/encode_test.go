package feed_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/feed"
)

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 10, 0, 0, 123456000, time.UTC)
	for name, e := range map[string]feed.Event{
		"minimal": {Cursor: feed.Cursor{Tx: 5, ID: 1}, ID: 1, Type: events.Sent, Time: at},
		"full": {Cursor: feed.Cursor{Tx: 1 << 33, ID: 99}, ID: 99, Type: events.Click, Time: at, CampaignID: 7,
			BrandID: 2, Contact: &feed.Contact{ID: 3, Email: "a@b.example", CustomerNumber: "C-1", LeadID: "L\"1"},
			Link: &feed.Link{ID: 4, URL: "https://x.example/?a=1&b=<2>"}, Machine: true,
			Signals: []string{"head", "burst"}, Reason: "tab\there\nnew \u2028 \x01 \xff end",
			Data: json.RawMessage(`{"address": "a@b.example", "n": [1, 2]}`)},
		"erased contact": {Cursor: feed.Cursor{Tx: 5, ID: 2}, ID: 2, Type: events.Unsubscribe, Time: at,
			Contact: &feed.Contact{ID: 8}, Link: &feed.Link{ID: 1}},
	} {
		want, err := json.Marshal(e)
		require.NoError(t, err)
		got := e.AppendJSON(nil)
		assert.JSONEq(t, string(want), string(got), name)
		assert.True(t, json.Valid(got), name)
	}
}

// FuzzAppendString: whatever a contact's fields hold, the line stays valid JSON and decodes to
// exactly what encoding/json writes.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\", "<&>", "\u2028\u2029", "\x00\x1f\x7f", "\xff\xfe", "ä€𝄞"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := feed.Event{Type: events.Type(s), Reason: s, Contact: &feed.Contact{ID: 1, Email: s}}
		got := e.AppendJSON(nil)
		if !json.Valid(got) {
			t.Fatalf("invalid JSON for %q: %s", s, got)
		}
		ref, _ := json.Marshal(e)
		if string(ref) != string(got) {
			t.Fatalf("encoding differs from encoding/json:\n%s\n%s", ref, got)
		}
	})
}
