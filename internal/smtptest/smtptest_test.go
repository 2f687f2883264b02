package smtptest_test

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wneessen/go-mail"

	"github.com/kirje/kirje/internal/smtptest"
)

func send(t *testing.T, s *smtptest.Sink, subject string) {
	t.Helper()
	host, port := splitAddr(t, s.Addr)
	c, err := mail.NewClient(host, mail.WithPort(port), mail.WithTLSPolicy(mail.NoTLS))
	require.NoError(t, err)
	m := mail.NewMsg()
	require.NoError(t, m.From("a@example.com"))
	require.NoError(t, m.To("b@example.com"))
	m.Subject(subject)
	m.SetBodyString(mail.TypeTextPlain, "body of "+subject)
	require.NoError(t, c.DialAndSend(m))
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return host, port
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
