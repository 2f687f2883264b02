package mailer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer"
)

// scripted is an SMTP server whose MAIL and DATA replies a test chooses (smtptest scripts
// RCPT only).
type scripted struct{ mail, data error }

func (s scripted) NewSession(*smtp.Conn) (smtp.Session, error) { return &scriptedSession{s}, nil }

type scriptedSession struct{ s scripted }

func (x *scriptedSession) Reset()                               {}
func (x *scriptedSession) Logout() error                        { return nil }
func (x *scriptedSession) Mail(string, *smtp.MailOptions) error { return x.s.mail }
func (x *scriptedSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (x *scriptedSession) Data(r io.Reader) error {
	_, _ = io.Copy(io.Discard, r)
	return x.s.data
}

func startScripted(t *testing.T, s scripted) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := smtp.NewServer(s)
	srv.Domain = "scripted.test"
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

func TestClassifyMailAndData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		script           scripted
		kind             mailer.Kind
		stage            string
		code             int
		enhanced, inText string
	}{
		{"sender rejected", scripted{mail: &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 8}, Message: "Sender domain does not exist"}},
			mailer.Permanent, mailer.StageMail, 553, "5.1.8", "Sender domain"},
		{"sender blocked", scripted{mail: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender blocked"}},
			mailer.Block, mailer.StageMail, 550, "5.7.1", "Sender blocked"},
		{"MAIL deferred", scripted{mail: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try later"}},
			mailer.Temporary, mailer.StageMail, 451, "4.3.0", "Try later"},
		{"content too big", scripted{data: &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big"}},
			mailer.Permanent, mailer.StageData, 552, "5.3.4", "too big"},
		{"content is spam", scripted{data: &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Spam detected"}},
			mailer.Block, mailer.StageData, 554, "5.7.1", "Spam"},
		{"DATA deferred", scripted{data: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 1}, Message: "Queue full"}},
			mailer.Temporary, mailer.StageData, 451, "4.4.1", "Queue full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			relay, err := mailer.ParseRelay("scripted", "smtp://"+startScripted(t, tt.script)+"?pool=1&timeout=5s")
			require.NoError(t, err)
			pool := mailer.NewPool(relay, nil)
			t.Cleanup(func() { _ = pool.Close() })
			conn, err := pool.Acquire(context.Background())
			require.NoError(t, err)
			defer conn.Release()
			for range 2 { // the second proves the session survived the first
				err = conn.Send(context.Background(), build(t, "a@example.com"))
				f := mailer.Classify(err)
				assert.Equal(t, tt.kind, f.Kind, "%+v", f)
				assert.Equal(t, tt.stage, f.Stage)
				assert.Equal(t, tt.code, f.Code)
				assert.Equal(t, tt.enhanced, f.Enhanced)
				assert.Contains(t, f.Message, tt.inText)
				assert.NotContains(t, f.Message, "affected", "go-mail's wording is trimmed")
			}
			assert.Equal(t, int64(1), pool.Stats().Dials)
		})
	}
}

func TestClassifyOther(t *testing.T) {
	t.Parallel()
	assert.Equal(t, mailer.Failure{}, mailer.Classify(nil))
	for _, err := range []error{
		context.Canceled, context.DeadlineExceeded, io.EOF, errors.New("something odd"),
		&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")},
	} {
		assert.Equal(t, mailer.Temporary, mailer.Classify(err).Kind, "%v", err)
	}
	f := mailer.Classify(fmt.Errorf("wrapped: %w", &textproto.Error{Code: 550, Msg: "5.7.1 Client host rejected"}))
	assert.Equal(t, mailer.Failure{Kind: mailer.Block, Code: 550, Enhanced: "5.7.1", Message: "5.7.1 Client host rejected"}, f)
}

func TestSend421DropsConnection(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, smtptest.Options{Rcpt: func(to string) error {
		if to == "closing@example.com" {
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Shutting down"}
		}
		return nil
	}})
	pool := newPool(t, sink, "&pool=1")
	err := pool.Send(context.Background(), build(t, "closing@example.com"))
	assert.Equal(t, mailer.Temporary, mailer.Classify(err).Kind)
	assert.Equal(t, 0, pool.Stats().Idle, "a 421 ends the session")
	require.NoError(t, pool.Send(context.Background(), build(t, "ok@example.com")))
	assert.Equal(t, int64(2), sink.Connections())
}
