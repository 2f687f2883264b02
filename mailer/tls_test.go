package mailer_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer"
)

// authServer accepts PLAIN auth for user/pw over TLS and counts delivered messages.
type authServer struct{ delivered atomic.Int64 }

func (a *authServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &authSession{a: a}, nil }

type authSession struct {
	a    *authServer
	auth bool
}

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pw string) error {
		if user != "kirje" || pw != "s3cret" {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.auth = true
		return nil
	}), nil
}
func (s *authSession) Reset()        {}
func (s *authSession) Logout() error { return nil }
func (s *authSession) Mail(string, *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (s *authSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *authSession) Data(r io.Reader) error {
	_, _ = io.Copy(io.Discard, r)
	s.a.delivered.Add(1)
	return nil
}

func TestSendOverTLS(t *testing.T) {
	t.Parallel()
	cert, roots := smtptest.Certificate(t, "127.0.0.1")
	for _, mode := range []string{"starttls", "tls"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			backend := &authServer{}
			srv := smtp.NewServer(backend)
			srv.Domain = "tls.test"
			srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			if mode == "tls" {
				l = tls.NewListener(l, srv.TLSConfig)
			}
			go func() { _ = srv.Serve(l) }()
			t.Cleanup(func() { _ = srv.Close() })

			relay, err := mailer.ParseRelay("tls", "smtp://kirje:s3cret@"+l.Addr().String()+"?tls="+mode+"&timeout=5s")
			require.NoError(t, err)
			relay.TLSConfig = &tls.Config{RootCAs: roots}
			pool := mailer.NewPool(relay, nil)
			t.Cleanup(func() { _ = pool.Close() })
			for range 2 {
				require.NoError(t, pool.Send(context.Background(), build(t, "a@example.com")))
			}
			assert.Equal(t, int64(2), backend.delivered.Load())
			assert.Equal(t, int64(1), pool.Stats().Dials)

			relay.Password = "wrong"
			bad := mailer.NewPool(relay, nil)
			t.Cleanup(func() { _ = bad.Close() })
			f := mailer.Classify(bad.Send(context.Background(), build(t, "a@example.com")))
			assert.Equal(t, mailer.Block, f.Kind, "refused credentials block the sender: %+v", f)
			assert.Equal(t, mailer.StageConnect, f.Stage)
			assert.NotContains(t, f.Message, "wrong")
		})
	}
}

func TestStartTLSRequired(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := smtp.NewServer(&authServer{}) // no TLSConfig: no STARTTLS offered
	srv.AllowInsecureAuth = true
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	relay, err := mailer.ParseRelay("plain", "smtp://kirje:s3cret@"+l.Addr().String()+"?tls=starttls&timeout=5s")
	require.NoError(t, err)
	pool := mailer.NewPool(relay, nil)
	t.Cleanup(func() { _ = pool.Close() })
	err = pool.Send(context.Background(), build(t, "a@example.com"))
	require.Error(t, err, "never send in plain text when STARTTLS is required")
	assert.Contains(t, err.Error(), "STARTTLS")
	assert.Equal(t, mailer.StageConnect, mailer.Classify(err).Stage)
}
