package api

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		remote string
		xff    []string
		trust  bool
		want   string
	}{
		{"192.0.2.1:5000", nil, false, "192.0.2.1"},
		{"192.0.2.1:5000", []string{"198.51.100.7"}, false, "192.0.2.1"},
		{"192.0.2.1:5000", []string{"203.0.113.9, 198.51.100.7"}, true, "198.51.100.7"},
		{"192.0.2.1:5000", []string{"203.0.113.9", "198.51.100.7"}, true, "198.51.100.7"},
		{"192.0.2.1:5000", []string{"garbage"}, true, "192.0.2.1"},
		{"[::ffff:192.0.2.1]:5000", nil, false, "192.0.2.1"},
		{"[2001:db8::1%eth0]:5000", nil, false, "2001:db8::1"},
		{"pipe", nil, false, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		assert.Equal(t, tt.want, clientIP(r, tt.trust), "%+v", tt)
	}
}

func TestBearer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header, want string
		ok           bool
	}{
		{"Bearer kirje_x", "kirje_x", true},
		{"bearer  kirje_x ", "kirje_x", true},
		{"Bearer ", "", false},
		{"Basic a:b", "", false},
		{"kirje_x", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := bearer(tt.header)
		assert.Equal(t, tt.ok, ok, tt.header)
		assert.Equal(t, tt.want, got, tt.header)
	}
}
