package inbound

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"

	"github.com/emersion/go-smtp"
)

// session is one SMTP connection's state.
type session struct {
	l      *Listener
	remote string
	from   string
	to     []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from, s.to = from, nil
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.l.accepts(to); err != nil {
		s.l.log.Info("inbound: recipient refused", "remote_addr", s.remote, "reply", err.Error())
		code := "other"
		if e, ok := err.(*smtp.SMTPError); ok {
			code = strconv.Itoa(e.Code)
		}
		s.l.cfg.Metrics.refusal(code)
		return err
	}
	s.to = append(s.to, to)
	return nil
}

// Data reads the message (go-smtp answers 552 past MaxMessageBytes) and processes it.
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return s.l.deliver(Envelope{From: s.from, To: append([]string(nil), s.to...), RemoteAddr: s.remote, Source: "smtp"}, raw)
}

// deliver processes one message. A failure to make the result durable answers 451, so the
// sender keeps the message and tries again; a panic in the pipeline quarantines the message
// and answers 250 (a retry would fail the same way), and the listener goes on.
func (l *Listener) deliver(env Envelope, raw []byte) (err error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return errShuttingDown
	}
	// Not cancelled by shutdown: a message that started is finished (or times out).
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.ProcessTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			l.log.Error("inbound: panic processing a message", "panic", fmt.Sprint(v), "stack", string(debug.Stack()),
				"remote_addr", env.RemoteAddr, "size", len(raw))
			if qerr := l.p.Quarantine(ctx, env, raw, QuarantinePanic, fmt.Sprint(v)); qerr != nil {
				l.log.Error("inbound: could not quarantine", "err", qerr)
				l.cfg.Metrics.message(msgRetry)
				err = errTryLater
				return
			}
			l.cfg.Metrics.message(msgQuarantined)
			err = nil
		}
	}()
	res, err := l.p.Process(ctx, env, raw)
	if err != nil {
		l.log.Error("inbound: message not processed; asking the sender to retry", "err", err, "remote_addr", env.RemoteAddr)
		l.cfg.Metrics.message(msgRetry)
		return errTryLater
	}
	l.cfg.Metrics.result(res)
	l.log.Info("inbound: message processed", "kind", string(res.Kind), "outcomes", len(res.Outcomes),
		"quarantined", res.Quarantined, "remote_addr", env.RemoteAddr, "size", len(raw))
	return nil
}
