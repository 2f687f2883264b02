package token

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVerifyRejectsWellSignedMalformedBodies signs hand-made bodies with a real key, so only the
// structure checks stand between them and acceptance: the MAC alone must not be enough.
func TestVerifyRejectsWellSignedMalformedBodies(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	kr, err := NewKeyring(1, map[byte][]byte{1: secret})
	require.NoError(t, err)
	uv := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	hdr := func(k Kind) []byte { return []byte{version, byte(k), 1} }
	tests := []struct {
		name string
		body []byte
		kind Kind
	}{
		{"overlong varint", cat(hdr(Open), []byte{0x81, 0x00}, uv(2), uv(0)), Open},
		{"overlong zero", cat(hdr(Open), uv(1), []byte{0x80, 0x00}, uv(0)), Open},
		{"trailing byte", cat(hdr(Open), uv(1), uv(2), uv(0), []byte{0}), Open},
		{"missing sent at", cat(hdr(Open), uv(1), uv(2)), Open},
		{"campaign beyond int64", cat(hdr(Open), uv(math.MaxInt64+1), uv(2), uv(0)), Open},
		{"contact beyond int64", cat(hdr(Open), uv(1), uv(math.MaxUint64), uv(0)), Open},
		{"link beyond int32", cat(hdr(Click), uv(1), uv(2), uv(math.MaxInt32+1), uv(0)), Click},
		{"sent after year 9999", cat(hdr(Open), uv(1), uv(2), uv(maxSentAt+1)), Open},
		{"wrong version", cat([]byte{2, byte(Open), 1}, uv(1), uv(2), uv(0)), Open},
		{"unknown kind", cat([]byte{version, 9, 1}, uv(1), uv(2), uv(0)), Kind(9)},
		{"click without link", cat(hdr(Click), uv(1), uv(2)), Click},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := urlEncoding.EncodeToString(kr.keys[1].sum(tt.body, tt.body))
			_, err := kr.Verify(s, tt.kind)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
	// The same helper on a well-formed body verifies, so the cases above fail for their defect.
	good := cat(hdr(Open), uv(1), uv(2), uv(0))
	_, err = kr.Verify(urlEncoding.EncodeToString(kr.keys[1].sum(good, good)), Open)
	require.NoError(t, err)
}
