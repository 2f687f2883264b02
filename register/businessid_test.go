package register_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/register"
)

func TestValidYTunnus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want bool
	}{
		{"0112038-9", true},  // Nokia Oyj
		{"0109862-8", true},  // Kesko Oyj
		{"0108023-3", true},  // Finnair Oyj
		{"1463611-4", true},  // Fortum Oyj
		{"0116510-6", true},  // Elisa Oyj
		{"1000002-0", true},  // sum mod 11 = 0 → check digit 0
		{"0112038-8", false}, // wrong check digit
		{"0000006-0", false}, // sum mod 11 = 1: never issued, for any check digit
		{"0000006-1", false},
		{"112038-9", false}, // old form: only NormalizeBusinessID pads it
		{"01120389", false},
		{"0112038_9", false},
		{"0112038-", false},
		{"a112038-9", false},
		{"0112038-x", false},
		{" 0112038-9", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, register.ValidYTunnus(tt.id))
		})
	}
}

func TestNormalizeBusinessID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, country, id, want string
		wantErr                 bool
	}{
		{name: "FI valid", country: "FI", id: "0112038-9", want: "0112038-9"},
		{name: "FI trimmed", country: "fi", id: "  0112038-9 ", want: "0112038-9"},
		{name: "Finland spelled out", country: "Finland", id: "1463611-4", want: "1463611-4"},
		{name: "old six-digit form", country: "FI", id: "112038-9", want: "0112038-9"},
		{name: "no country, looks Finnish", country: "", id: "108023-3", want: "0108023-3"},
		{name: "empty id", country: "FI", id: "  ", want: ""},
		{name: "FI bad check digit", country: "FI", id: "0112038-1", wantErr: true},
		{name: "FI never-issued remainder", country: "FI", id: "0000006-0", wantErr: true},
		{name: "FI wrong shape", country: "FI", id: "FI01120389", wantErr: true},
		{name: "no country, Finnish-looking but wrong", country: "", id: "0112038-1", wantErr: true},
		{name: "no country, mistyped check character", country: "", id: "0112038-X", wantErr: true},
		{name: "Swedish org number kept", country: "SE", id: " 556012-5790 ", want: "556012-5790"},
		{name: "German HRB kept", country: "DE", id: "HRB 12345", want: "HRB 12345"},
		{name: "no country, foreign shape", country: "", id: "GB123456789", want: "GB123456789"},
		{name: "line break refused", country: "SE", id: "556012\n5790", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := register.NormalizeBusinessID(tt.country, tt.id)
			if tt.wantErr {
				require.ErrorIs(t, err, register.ErrInvalid)
				var fe *register.FieldError
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, "business_id", fe.Field)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func FuzzNormalizeBusinessID(f *testing.F) {
	for _, s := range []string{"0112038-9", "112038-9", "0000006-0", "556012-5790", "", " 1-1", "١١٢٠٣٨-٩"} {
		f.Add("FI", s)
		f.Add("", s)
		f.Add("SE", s)
	}
	f.Fuzz(func(t *testing.T, country, id string) {
		got, err := register.NormalizeBusinessID(country, id)
		if err != nil {
			require.ErrorIs(t, err, register.ErrInvalid)
			return
		}
		if got != "" && (country == "FI" || country == "" && register.ValidYTunnus(got)) {
			require.True(t, register.ValidYTunnus(got), "accepted %q as %q", id, got)
		}
		again, err := register.NormalizeBusinessID(country, got)
		require.NoError(t, err, "normalised form %q must be accepted again", got)
		require.Equal(t, got, again, "normalising must be idempotent")
	})
}
