package mailer_test

import (
	"context"

	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wneessen/go-mail"

	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer"
)

// newPool returns a pool to the sink, closed when the test ends; query adds URL parameters.
func newPool(t testing.TB, sink *smtptest.Sink, query string) *mailer.Pool {
	t.Helper()
	relay, err := mailer.ParseRelay("test", "smtp://"+sink.Addr+"?timeout=5s"+query)
	require.NoError(t, err)
	pool := mailer.NewPool(relay, nil)
	t.Cleanup(func() { _ = pool.Close() })
	return pool
}

func build(t testing.TB, to string) *mail.Msg {
	t.Helper()
	msg, err := mailer.Build(input(to), nil)
	require.NoError(t, err)
	return msg
}

func TestPoolReusesConnections(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, smtptest.Options{})
	pool := newPool(t, sink, "&pool=3")
	const senders, each = 6, 10
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				msg, err := mailer.Build(input(fmt.Sprintf("r%d-%d@example.com", s, i)), nil)
				if err == nil {
					err = pool.Send(context.Background(), msg)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	sink.Wait(t, senders*each, 5*time.Second)
	assert.LessOrEqual(t, sink.Connections(), int64(3), "no more connections than the pool size")
	st := pool.Stats()
	assert.Equal(t, sink.Connections(), st.Dials)
	assert.Equal(t, 0, st.InUse)
	assert.Equal(t, int(st.Dials), st.Idle, "every connection is back, open, for the next caller")
}

// rejections is a sink whose RCPT replies are scripted per address.
func rejections(t *testing.T) *smtptest.Sink {
	replies := map[string]error{
		"missing@example.com":    &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"},
		"greylist@example.com":   &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again later"},
		"blocked@example.com":    &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Service unavailable, client host blocked using Spamhaus"},
		"full@example.com":       &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "Mailbox full"},
		"policy@example.com":     &smtp.SMTPError{Code: 554, EnhancedCode: smtp.NoEnhancedCode, Message: "Rejected by policy"},
		"nosuchuser@example.com": &smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "unknown user"},
	}
	return smtptest.Start(t, smtptest.Options{Rcpt: func(to string) error { return replies[to] }})
}

func TestSendRejectedRecipients(t *testing.T) {
	t.Parallel()
	sink := rejections(t)
	pool := newPool(t, sink, "&pool=1")
	tests := []struct {
		to       string
		kind     mailer.Kind
		code     int
		enhanced string
	}{
		{"missing@example.com", mailer.HardBounce, 550, "5.1.1"},
		{"greylist@example.com", mailer.Temporary, 451, "4.7.1"},
		{"blocked@example.com", mailer.Block, 550, "5.7.1"},
		{"full@example.com", mailer.MailboxFull, 552, "5.2.2"},
		{"policy@example.com", mailer.Block, 554, ""},
		{"nosuchuser@example.com", mailer.HardBounce, 550, ""},
	}
	conn, err := pool.Acquire(context.Background())
	require.NoError(t, err)
	defer conn.Release()
	for i, tt := range tests {
		msg, err := mailer.Build(input(tt.to), nil)
		require.NoError(t, err)
		err = conn.Send(context.Background(), msg)
		require.Error(t, err, tt.to)
		f := mailer.Classify(err)
		assert.Equal(t, tt.kind, f.Kind, "%s: %+v", tt.to, f)
		assert.Equal(t, tt.code, f.Code, tt.to)
		assert.Equal(t, tt.enhanced, f.Enhanced, tt.to)
		assert.Equal(t, mailer.StageRcpt, f.Stage, tt.to)

		// The rejection cost the recipient, not the connection.
		ok, err := mailer.Build(input(fmt.Sprintf("ok%d@example.com", i)), nil)
		require.NoError(t, err)
		require.NoError(t, conn.Send(context.Background(), ok), "the connection is usable after %s", tt.to)
	}
	assert.Equal(t, int64(len(tests)), sink.Accepted())
	assert.Equal(t, int64(1), sink.Connections(), "one connection throughout")
}

func TestSendSinkGone(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, smtptest.Options{})
	pool := newPool(t, sink, "")
	send := func() error {
		msg, err := mailer.Build(input("a@example.com"), nil)
		require.NoError(t, err)
		return pool.Send(context.Background(), msg)
	}
	require.NoError(t, send())
	require.NoError(t, sink.Close())

	err := send() // on the pooled connection the server dropped
	require.Error(t, err)
	assert.Equal(t, mailer.Temporary, mailer.Classify(err).Kind, "%v", err)
	assert.Equal(t, 0, pool.Stats().Idle, "a broken connection is not kept")

	err = send() // a new dial, refused
	require.Error(t, err)
	f := mailer.Classify(err)
	assert.Equal(t, mailer.Temporary, f.Kind, "%v", err)
	assert.Equal(t, mailer.StageConnect, f.Stage)
}

func TestSendCancelled(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}, 1), make(chan struct{})
	sink := smtptest.Start(t, smtptest.Options{Rcpt: func(to string) error {
		if to == "slow@example.com" {
			entered <- struct{}{}
			<-release
		}
		return nil
	}})
	t.Cleanup(func() { close(release) })
	pool := newPool(t, sink, "&pool=1")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := pool.Send(ctx, build(t, "a@example.com"))
	require.ErrorIs(t, err, context.Canceled)

	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pool.Send(ctx, build(t, "slow@example.com")) }()
	<-entered // the server holds our RCPT
	cancel()
	select {
	case err = <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Send did not return after its ctx was cancelled")
	}
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, mailer.Temporary, mailer.Classify(err).Kind)

	require.NoError(t, pool.Send(context.Background(), build(t, "b@example.com")), "the pool recovers with a new connection")
	assert.Equal(t, int64(2), pool.Stats().Dials)
}

func TestAcquireWaitsForASlot(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, smtptest.Options{})
	pool := newPool(t, sink, "&pool=1")
	conn, err := pool.Acquire(context.Background())
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = pool.Acquire(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the only slot is taken")

	conn.Release()
	conn.Release() // harmless
	conn, err = pool.Acquire(context.Background())
	require.NoError(t, err)
	conn.Release()

	require.NoError(t, pool.Close())
	_, err = pool.Acquire(context.Background())
	require.ErrorIs(t, err, mailer.ErrPoolClosed)
}

func TestIdleConnectionsClose(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, smtptest.Options{})
	pool := newPool(t, sink, "&idle=20ms")
	require.NoError(t, pool.Send(context.Background(), build(t, "a@example.com")))
	require.Eventually(t, func() bool { return pool.Stats().Idle == 0 }, 5*time.Second, 5*time.Millisecond,
		"the idle connection is closed")
	require.NoError(t, pool.Send(context.Background(), build(t, "b@example.com")))
	assert.Equal(t, int64(2), sink.Connections(), "the next send dials again")
}

func TestCloseWithConnectionInUse(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, smtptest.Options{})
	pool := newPool(t, sink, "&pool=2")
	require.NoError(t, pool.Send(context.Background(), build(t, "idle@example.com")))
	conn, err := pool.Acquire(context.Background())
	require.NoError(t, err)
	require.NoError(t, conn.Send(context.Background(), build(t, "busy@example.com")))

	require.NoError(t, pool.Close())
	require.NoError(t, pool.Close(), "closing twice is harmless")
	require.NoError(t, conn.Send(context.Background(), build(t, "still@example.com")), "an acquired Conn works until released")
	conn.Release()
	assert.Equal(t, mailer.PoolStats{Dials: 1}, pool.Stats(), "nothing kept after Close")
	assert.Error(t, conn.Send(context.Background(), build(t, "late@example.com")), "a released Conn refuses to send")
}
