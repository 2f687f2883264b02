package smtptest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wneessen/go-mail"

	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer/mailertest"
)

// send sends one message with subject to s, over a plain go-mail client (mailertest.RawSend's).
func send(t *testing.T, s *smtptest.Sink, subject string) {
	t.Helper()
	_, err := mailertest.RawSend(context.Background(), s.Addr, 1, 1, func(int) (*mail.Msg, error) {
		m := mail.NewMsg()
		if err := m.From("a@example.com"); err != nil {
			return nil, err
		}
		if err := m.To("b@example.com"); err != nil {
			return nil, err
		}
		m.Subject(subject)
		m.SetBodyString(mail.TypeTextPlain, "body of "+subject)
		return m, nil
	})
	require.NoError(t, err)
}

func TestCountOnlyKeepsTheFirstMessageWhole(t *testing.T) {
	s := smtptest.Start(t, smtptest.Options{CountOnly: true})
	_, ok := s.First()
	assert.False(t, ok, "no message yet")

	for _, subject := range []string{"one", "two", "three"} {
		send(t, s, subject)
	}
	s.Wait(t, 3, 10*time.Second)
	first, ok := s.First()
	require.True(t, ok)
	assert.Equal(t, "one", first.Header("Subject"))
	assert.Contains(t, string(first.Data), "body of one")
	assert.Empty(t, s.Messages(), "a counting sink keeps no list of messages")
}
