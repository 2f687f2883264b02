package worker

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/emailaddr"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/token"
)

// sendOne checks, renders and sends one message, and records its outcome. It returns an error
// only when the batch must stop: the suppression list cannot be checked (fail closed) or the
// connection to the relay is gone. The recipient is then handed back, unsent.
func (b *batchRun) sendOne(ctx context.Context, conn *mailer.Conn, r campaign.Recipient) error {
	msg, msgID, err := b.build(r)
	if err != nil {
		b.fail(r, "", err.Error())
		return nil
	}
	// The check runs after rendering, immediately before the SMTP transaction, for every
	// message: an unsubscribe committed before this line is seen here, and nothing but the
	// start of the transaction lies between the check and the message.
	checkStart := time.Now()
	verdict, err := b.w.supp.Check(ctx, b.s.brand.ID, r.Contact.Email)
	b.w.metrics.check.Observe(time.Since(checkStart).Seconds())
	if err != nil {
		b.w.metrics.failClosed.Inc()
		b.handBack([]campaign.Recipient{r}, time.Time{}, "suppression list unavailable")
		b.log.Warn("worker: suppression list unavailable; not sending", "err", err)
		return fmt.Errorf("batch: suppression check: %w", err)
	}
	if verdict.Suppressed {
		b.drop(r, "suppressed:"+verdict.Scope)
		return nil
	}
	start := time.Now()
	err = conn.Send(ctx, msg)
	b.w.metrics.latency.Observe(time.Since(start).Seconds())
	if err == nil {
		b.w.metrics.sends.WithLabelValues("sent").Inc()
		b.record(r, campaign.Outcome{Status: campaign.SendSent, MessageID: msgID},
			&events.Event{Type: events.Sent, Data: map[string]any{"message_id": msgID}})
		return nil
	}
	return b.failed(ctx, r, msgID, mailer.Classify(err))
}

// failed records a refused send of the message msgID. A temporary failure of the connection
// stops the batch.
func (b *batchRun) failed(ctx context.Context, r campaign.Recipient, msgID string, f mailer.Failure) error {
	detail := smtpDetail(f)
	switch f.Kind {
	case mailer.HardBounce:
		b.bounce(ctx, r, msgID, detail)
	case mailer.Temporary, mailer.MailboxFull:
		if f.Stage == mailer.StageConnect || f.Code == 0 || f.Code == 421 {
			// The relay, not the recipient: the attempt does not count against the address.
			b.handBack([]campaign.Recipient{r}, time.Time{}, detail)
			return fmt.Errorf("batch: relay: %s", detail)
		}
		if r.Attempts >= b.w.cfg.MaxAttempts {
			b.fail(r, msgID, "retries exhausted: "+detail)
			return nil
		}
		b.w.metrics.sends.WithLabelValues("deferred").Inc()
		b.retryLater(r, b.w.now().Add(backoff(r.Attempts)), detail)
	default: // Block, Permanent: the address is not to blame, so it is not suppressed
		b.fail(r, msgID, detail)
	}
	return nil
}

// bounce records a hard bounce of the message msgID and suppresses the address for all
// marketing.
func (b *batchRun) bounce(ctx context.Context, r campaign.Recipient, msgID, detail string) {
	b.w.metrics.sends.WithLabelValues("bounced").Inc()
	b.record(r, campaign.Outcome{Status: campaign.SendBounced, Detail: detail, MessageID: msgID},
		&events.Event{Type: events.Bounce, Reason: detail,
			Data: map[string]any{"kind": "hard", "stage": "smtp", "message_id": msgID}})
	_, _, err := b.w.supp.AddOne(ctx, suppression.Input{
		Address: r.Contact.Email, Reason: suppression.ReasonBounce, Source: "smtp", Actor: "worker",
		ContactID: r.ContactID, CampaignID: b.s.campaign.ID,
	})
	if err != nil {
		// The bounce itself is recorded; the address is mailed again only by a later campaign,
		// whose send will bounce and try this again.
		b.log.Error("worker: could not suppress a bounced address", "err", err, "contact_id", r.ContactID)
	}
}

// fail records a send that failed for good. msgID is the message the relay refused, or "" when
// none was offered (it did not render).
func (b *batchRun) fail(r campaign.Recipient, msgID, detail string) {
	b.w.metrics.sends.WithLabelValues("failed").Inc()
	ev := &events.Event{Type: events.Failed, Reason: detail}
	if msgID != "" {
		ev.Data = map[string]any{"message_id": msgID}
	}
	b.record(r, campaign.Outcome{Status: campaign.SendFailed, Detail: detail, MessageID: msgID}, ev)
}

// build renders the message for r and wraps it with the campaign headers.
func (b *batchRun) build(r campaign.Recipient) (*mail.Msg, string, error) {
	urls := b.w.links.ForRecipient(b.s.campaign.ID, r.Contact.ID, b.w.now(), level(b.s.brand, r.Contact))
	return compose(b.s, r.Contact, r.Company, urls, b.w.cfg.MailDomain, b.w.cfg.VERP, "")
}

// compose renders s's message for one contact and builds it with the campaign headers:
// List-Unsubscribe (the https one-click URL and the mailto address), List-Unsubscribe-Post,
// a fresh Message-ID, Feedback-ID, and the brand's DKIM signature when it has a key.
func compose(s *sendable, c *register.Contact, company *register.Company, urls token.Recipient,
	mailDomain string, verp bool, subjectPrefix string) (*mail.Msg, string, error) {
	data := s.campaignData
	data.Contact = c
	if company != nil {
		data.Company = company // left nil otherwise, so {{ with .Company }} skips it
	}
	m, err := s.tpl.Render(data, urls)
	if err != nil {
		return nil, "", err
	}
	brand := s.brand
	oneClick := urls.OneClick() // signed once for both uses below
	msgID := mailer.NewMessageID(emailaddr.Domain(brand.FromAddress))
	in := mailer.BuildInput{
		From:    mailer.Address{Name: brand.FromName, Email: brand.FromAddress},
		ReplyTo: brand.ReplyTo, To: c.Email,
		Subject: subjectPrefix + m.Subject, HTML: m.HTML, Text: m.Text,
		MessageID:       msgID,
		ListUnsubscribe: []string{oneClick, urls.Mailto(mailDomain)},
		// RFC 8058 one-click needs an https URI; a plain-http public URL (local use) gets none.
		OneClick: strings.HasPrefix(oneClick, "https://"),
		// Gmail's feedback loop reports complaint rates per Feedback-ID value.
		FeedbackID: fmt.Sprintf("%d:%d:kirje", s.campaign.ID, brand.ID),
		Headers:    map[string]string{"X-Kirje-Campaign": strconv.FormatInt(s.campaign.ID, 10)},
	}
	if verp {
		in.ReturnPath = urls.ReturnPath(mailDomain)
	}
	msg, err := mailer.Build(in, s.signer)
	return msg, msgID, err
}

func smtpDetail(f mailer.Failure) string {
	switch {
	case f.Code != 0 && f.Enhanced != "":
		return fmt.Sprintf("%d %s %s", f.Code, f.Enhanced, f.Message)
	case f.Code != 0:
		return fmt.Sprintf("%d %s", f.Code, f.Message)
	default:
		return f.Message
	}
}
