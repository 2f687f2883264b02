package events

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWireRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 7, 30, 0, 123456000, time.UTC)
	tests := []struct {
		name string
		evs  []Event
	}{
		{"open", []Event{{Type: Open, OccurredAt: at, CampaignID: 7, ContactID: 42, IP: "192.0.2.0", UserAgent: "Mozilla/5.0"}}},
		{"machine click with signals", []Event{{Type: Click, OccurredAt: at, CampaignID: 1, ContactID: 2, LinkID: 3,
			Machine: true, Signals: []string{"fast", "honeypot"}}}},
		{"aggregate token, nothing but the campaign", []Event{{Type: Open, OccurredAt: at, CampaignID: 9}}},
		{"data and reason", []Event{{Type: Unsubscribe, OccurredAt: at, BrandID: 4, Reason: "one-click",
			Data: map[string]any{"scope": "all", "n": 2.0}}}},
		{"several", []Event{
			{Type: Open, OccurredAt: at, CampaignID: 1, ContactID: 1},
			{Type: Click, OccurredAt: at.Add(time.Second), CampaignID: 1, ContactID: 1, LinkID: 1, UserAgent: "ä ö €"},
			{Type: Open, OccurredAt: at, CampaignID: 1, ContactID: -1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			payload := []byte{wireVersion}
			for _, e := range tt.evs {
				var err error
				payload, err = appendWire(payload, e)
				require.NoError(t, err)
			}
			got, err := decodeWire(nil, string(payload))
			require.NoError(t, err)
			assert.Equal(t, tt.evs, got)
		})
	}
}

func TestWireReadsEntriesOfEarlierVersions(t *testing.T) {
	t.Parallel()
	got, err := decodeWire(nil, `[{"t":"click","at":1764142200000000,"ca":3,"co":4,"l":5,"ip":"192.0.2.1","m":true,"s":["fast"]}]`)
	require.NoError(t, err)
	assert.Equal(t, []Event{{Type: Click, OccurredAt: time.UnixMicro(1764142200000000).UTC(), CampaignID: 3,
		ContactID: 4, LinkID: 5, IP: "192.0.2.1", Machine: true, Signals: []string{"fast"}}}, got)
}

func TestWireRefusesMalformedEntries(t *testing.T) {
	t.Parallel()
	good, err := appendWire([]byte{wireVersion}, Event{Type: Open, OccurredAt: time.Now(), CampaignID: 1, UserAgent: "x"})
	require.NoError(t, err)
	tests := map[string][]byte{
		"empty":           {},
		"unknown version": append([]byte{9}, good[1:]...),
		"truncated":       good[:len(good)-2],
		"no type":         {wireVersion, 0},
		"machine not 0/1": func() []byte {
			b, _ := appendWire([]byte{wireVersion}, Event{Type: Open, Machine: true})
			b[len(b)-4] = 7
			return b
		}(),
		"huge length": {wireVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
	}
	for name, payload := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeWire(nil, string(payload))
			require.Error(t, err)
		})
	}
}

func FuzzDecodeWire(f *testing.F) {
	good, _ := appendWire([]byte{wireVersion}, Event{Type: Click, OccurredAt: time.Now(), CampaignID: 1, LinkID: 2,
		Signals: []string{"head"}, Data: map[string]any{"a": "b"}})
	f.Add(good)
	f.Add([]byte(`[{"t":"open","at":1}]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		evs, err := decodeWire(nil, string(payload))
		if err != nil {
			return
		}
		if len(payload) > 0 && payload[0] == wireVersion {
			// What decodes must encode back to the same events.
			again := []byte{wireVersion}
			for _, e := range evs {
				if again, err = appendWire(again, e); err != nil {
					t.Fatal(err)
				}
			}
			evs2, err := decodeWire(nil, string(again))
			if err != nil {
				t.Fatalf("re-encoded entry does not decode: %v", err)
			}
			assert.Equal(t, evs, evs2)
		}
	})
}
