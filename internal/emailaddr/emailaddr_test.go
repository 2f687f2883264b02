package emailaddr_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/emailaddr"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "Matti.Meikalainen@Example.FI", want: "matti.meikalainen@example.fi"},
		{in: "  anna+news@example.com ", want: "anna+news@example.com"},
		{in: "pekka@bücher.de", want: "pekka@xn--bcher-kva.de"},
		{in: "info@example.com.", wantErr: true},
		{in: "", wantErr: true},
		{in: "no-at-sign", wantErr: true},
		{in: "Matti <matti@example.fi>", wantErr: true},
		{in: "a@b@example.fi", wantErr: true},
		{in: "matti@localhost", wantErr: true},
		{in: "matti@[127.0.0.1]", wantErr: true},
		{in: "two@example.fi, three@example.fi", wantErr: true},
		{in: "@example.fi", wantErr: true},
		{in: "0@\u00ad.00", wantErr: true},
		{in: "0@。00", wantErr: true},
		{in: "a@0\xbc.fi", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := emailaddr.Normalize(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, emailaddr.ErrInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNormalizeDomainRoundTrips(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"0\xbc.0", "bücher.de", "EXAMPLE.fi"} {
		n, err := emailaddr.NormalizeDomain(d)
		if err != nil {
			continue
		}
		again, err := emailaddr.NormalizeDomain(n)
		require.NoError(t, err, d)
		assert.Equal(t, n, again, d)
	}
	_, err := emailaddr.NormalizeDomain("0\xbc.0")
	require.Error(t, err, "invalid UTF-8 must be refused, not turned into an undecodable label")
}

func TestMask(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "m***@e***.fi", emailaddr.Mask("matti@example.fi"))
	assert.Equal(t, "ä***@k***.com", emailaddr.Mask("ämmä@kauppa.com"))
	assert.Equal(t, "***", emailaddr.Mask("broken"))
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"a@b.fi", "A@B.FI", "x@bücher.de", "<a@b.fi>", "\"q\"@b.fi"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := emailaddr.Normalize(s)
		if err != nil {
			return
		}
		again, err := emailaddr.Normalize(n)
		require.NoError(t, err, "a normalised address must normalise again")
		require.Equal(t, n, again, "normalisation must be idempotent")
	})
}
