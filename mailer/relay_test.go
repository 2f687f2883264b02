package mailer_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/mailer"
)

func TestParseRelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want mailer.Relay
	}{
		{"smtp://127.0.0.1:2525", mailer.Relay{Host: "127.0.0.1", Port: 2525, TLS: mailer.TLSNone}},
		{"smtp://localhost", mailer.Relay{Host: "localhost", Port: 25, TLS: mailer.TLSNone}},
		{"smtp://relay.example.fi", mailer.Relay{Host: "relay.example.fi", Port: 25, TLS: mailer.TLSStartTLS}},
		{"smtps://u%40x:p%3Ass@relay.example.fi", mailer.Relay{Host: "relay.example.fi", Port: 465, TLS: mailer.TLSImplicit, Username: "u@x", Password: "p:ss"}},
		{"smtp://user:pw@[::1]:587/?tls=starttls&pool=4&rate=12.5&timeout=5s&idle=1m",
			mailer.Relay{Host: "::1", Port: 587, TLS: mailer.TLSStartTLS, Username: "user", Password: "pw", PoolSize: 4, Rate: 12.5, Timeout: 5 * time.Second, IdleTimeout: time.Minute}},
		{"smtp://relay.example.fi?tls=none", mailer.Relay{Host: "relay.example.fi", Port: 25, TLS: mailer.TLSNone}},
		{"smtp://relay.example.fi:465?tls=tls", mailer.Relay{Host: "relay.example.fi", Port: 465, TLS: mailer.TLSImplicit}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			got, err := mailer.ParseRelay("main", tt.url)
			require.NoError(t, err)
			want := tt.want
			want.Name = "main"
			if want.PoolSize == 0 {
				want.PoolSize = mailer.DefaultPoolSize
			}
			if want.Timeout == 0 {
				want.Timeout = mailer.DefaultTimeout
			}
			if want.IdleTimeout == 0 {
				want.IdleTimeout = mailer.DefaultIdleTimeout
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestParseRelayErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, part string }{
		{"http://relay.example.fi", `scheme "http"`},
		{"smtp://", "no host"},
		{"smtp://relay.example.fi:0", `port "0"`},
		{"smtp://relay.example.fi:99999", `port "99999"`},
		{"smtp://relay.example.fi/x", `path "/x"`},
		{"smtp://relay.example.fi?tls=maybe", `tls="maybe"`},
		{"smtps://relay.example.fi?tls=starttls", "contradicts smtps"},
		{"smtp://relay.example.fi?pool=0", `pool="0"`},
		{"smtp://relay.example.fi?pool=x", `pool="x"`},
		{"smtp://relay.example.fi?rate=-1", `rate="-1"`},
		{"smtp://relay.example.fi?timeout=soon", `timeout="soon"`},
		{"smtp://relay.example.fi?idle=0s", `idle="0s"`},
		{"smtp://relay.example.fi?pol=3", `unknown parameter "pol"`},
		{"smtp://user:s3cret@relay.example.fi:x", "malformed URL"},
		{"smtp://user:s3cret@relay example.fi", "malformed URL"},
		// A password with an unencoded '/' or '?' moves into the path or the query.
		{"smtp://user:/s3cret@relay.example.fi:587", "unexpected path (a user name or password must be percent-encoded)"},
		{"smtp://user:1234/s3cret@relay.example.fi", "unexpected path"},
		{"smtp://user:pa/s3cret@relay.example.fi", "malformed URL"},
		{"smtp://user:?s3cret@relay.example.fi", "malformed query"},
		{"smtp://user:?x=s3cret@relay.example.fi", "malformed query"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			_, err := mailer.ParseRelay("main", tt.url)
			require.ErrorIs(t, err, mailer.ErrInvalid)
			assert.Contains(t, err.Error(), tt.part)
			assert.Contains(t, err.Error(), `relay "main"`)
			assert.NotContains(t, err.Error(), "s3cret")
		})
	}
}

func TestRelayHidesPassword(t *testing.T) {
	t.Parallel()
	r, err := mailer.ParseRelay("main", "smtp://user:s3cret@relay.example.fi:587?pool=3")
	require.NoError(t, err)
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "relay", r)
	for _, s := range []string{r.String(), fmt.Sprint(r), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r), logged.String()} {
		assert.NotContains(t, s, "s3cret")
		assert.Contains(t, s, "relay.example.fi")
	}
	assert.Equal(t, "main smtp://user@relay.example.fi:587?idle=30s&pool=3&rate=0&timeout=30s&tls=starttls", r.String())
	again, err := mailer.ParseRelay("main", strings.TrimPrefix(r.String(), "main "))
	require.NoError(t, err, "String is a parseable URL")
	r.Password = ""
	assert.Equal(t, r, again)
}

// FuzzParseRelay: relay URLs come from the environment and the API; nothing may panic, and a
// password never leaks into an error.
func FuzzParseRelay(f *testing.F) {
	for _, s := range []string{"smtp://u:p@h:25?tls=none&pool=2", "smtps://h", "smtp://[::1]:x", "smtp://h?rate=1e400", "%",
		"smtp://user:/secretpw@h:587", "smtp://user:?secretpw@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := mailer.ParseRelay("f", raw)
		if err != nil {
			if pw := passwordOf(raw); len(pw) > 3 && strings.Count(raw, pw) == 1 && strings.Contains(err.Error(), pw) {
				t.Fatalf("error shows the password: %v", err)
			}
			return
		}
		if r.Host == "" || r.Port < 1 || r.Port > 65535 || r.PoolSize < 1 || r.Timeout <= 0 {
			t.Fatalf("accepted a bad relay: %#v", r)
		}
	})
}

func passwordOf(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	userinfo, _, ok := strings.Cut(rest, "@")
	if !ok {
		return ""
	}
	_, pw, _ := strings.Cut(userinfo, ":")
	return pw
}
