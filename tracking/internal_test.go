package tracking

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPreferredLang(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                          "",
		"fi":                        "fi",
		"FI-fi":                     "fi",
		"en-US,en;q=0.9":            "en",
		"de, en;q=0.5, fi;q=0.7":    "fi",
		"fi;q=0.5, en;q=0.5":        "fi", // a tie goes to the earlier
		"en;q=0, fi;q=0.1":          "fi",
		"fi;q=2, en;q=0.3":          "en", // an invalid weight drops its entry
		"sv-FI":                     "",
		"*":                         "",
		"en;q=abc,fi":               "fi",
		",,;;,=,fi;q=0.1;level=1,,": "fi",
	}
	for header, want := range tests {
		assert.Equal(t, want, preferredLang(header), "%q", header)
	}
}

func FuzzPreferredLang(f *testing.F) {
	for _, s := range []string{"fi-FI,fi;q=0.9,en;q=0.8", "en;q=", ";q=1", "fi;q=NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := preferredLang(s); got != "" && got != "fi" && got != "en" {
			t.Fatalf("preferredLang(%q) = %q", s, got)
		}
	})
}

func TestRecentClicksIsBounded(t *testing.T) {
	t.Parallel()
	rc := newRecentClicks(64, MachineRules{}.withDefaults())
	at := time.Unix(1_800_000_000, 0)
	for i := range 10_000 {
		rc.observe(1, int64(i), 1, false, at) // all fresh: a flood of distinct recipients
		if len(rc.m) > 64 {
			t.Fatalf("history grew to %d entries", len(rc.m))
		}
	}
	// Histories older than the windows go first: a minute later, 64 new recipients displace
	// every old one and none of each other.
	for i := range 64 {
		rc.observe(2, int64(i), 1, false, at.Add(time.Minute))
	}
	assert.Len(t, rc.m, 64)
	for k := range rc.m {
		assert.EqualValues(t, 2, k.campaign)
	}
}

func TestRecentClicksCountsDistinctLinksInWindow(t *testing.T) {
	t.Parallel()
	rc := newRecentClicks(0, MachineRules{}.withDefaults())
	at := time.Unix(1_800_000_000, 0)
	steps := []struct {
		link     int
		after    time.Duration
		honeypot bool
		want     int
		near     bool
	}{
		{link: 1, want: 1},
		{link: 1, after: 100 * time.Millisecond, want: 1},
		{link: 2, after: 100 * time.Millisecond, want: 2},
		{link: 9, after: 100 * time.Millisecond, honeypot: true, want: 3},
		{link: 3, after: 100 * time.Millisecond, want: 4, near: true},
		{link: 4, after: 3 * time.Second, want: 1, near: true},
		{link: 5, after: 8 * time.Second, want: 1, near: false},
	}
	for i, s := range steps {
		at = at.Add(s.after)
		got, near := rc.observe(7, 8, s.link, s.honeypot, at)
		assert.Equal(t, s.want, got, "step %d", i)
		assert.Equal(t, s.near, near, "step %d", i)
	}
	got, _ := rc.observe(7, 9, 1, false, at) // another recipient has a history of their own
	assert.Equal(t, 1, got)
}
