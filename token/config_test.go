package token_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/token"
)

func TestParseKeyring(t *testing.T) {
	t.Parallel()
	s1, s2, s3 := strings.Repeat("1", 32), strings.Repeat("2", 40), strings.Repeat("3", 64)
	tests := []struct {
		name, id, secret, old string
		wantErr               string
		verifies              map[string]string // key ID → secret whose tokens must verify
	}{
		{name: "defaults to ID 1", secret: s1, verifies: map[string]string{"1": s1}},
		{name: "explicit ID", id: "7", secret: s1, verifies: map[string]string{"7": s1}},
		{name: "old secrets", id: "3", secret: s3, old: "1:" + s1 + ", 2:" + s2, verifies: map[string]string{"1": s1, "2": s2, "3": s3}},
		{name: "trailing comma", id: "2", secret: s2, old: "1:" + s1 + ",", verifies: map[string]string{"1": s1, "2": s2}},
		{name: "current repeated in old", id: "2", secret: s2, old: "2:" + s2, verifies: map[string]string{"2": s2}},
		{name: "secret containing a colon", id: "2", secret: s2, old: "1:" + s1 + ":x", verifies: map[string]string{"1": s1 + ":x", "2": s2}},
		{name: "short current secret", secret: "short", wantErr: "at least 32"},
		{name: "short old secret", secret: s1, old: "2:short", wantErr: "key ID 2"},
		{name: "bad ID", id: "256", secret: s1, wantErr: "0 to 255"},
		{name: "entry without ID", secret: s1, old: s2, wantErr: "entry 1 is not ID:SECRET"},
		{name: "bad old ID does not echo", secret: s1, old: "x" + s2 + ":y", wantErr: "entry 1"},
		{name: "conflicting IDs", id: "1", secret: s1, old: "1:" + s2, wantErr: "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kr, err := token.ParseKeyring(tt.id, tt.secret, tt.old)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				for _, s := range []string{s1, s2, s3} {
					assert.NotContains(t, err.Error(), s, "errors must not contain secrets")
				}
				return
			}
			require.NoError(t, err)
			for id, sec := range tt.verifies {
				signer, err := token.ParseKeyring(id, sec, "")
				require.NoError(t, err)
				c := token.Claims{Kind: token.Open, CampaignID: 1}
				_, err = kr.Verify(signer.Sign(c), token.Open)
				require.NoError(t, err, "key %d", id)
			}
		})
	}
}
