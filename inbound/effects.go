package inbound

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/inbound/dsn"
	"github.com/kirje/kirje/internal/emailaddr"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/token"
)

// errDuplicate rolls back the effects of an outcome whose event was recorded before.
var errDuplicate = errors.New("inbound: duplicate")

// recipient decides the outcome for the i-th recipient of m's report and, unless dry, applies it.
func (p *Processor) recipient(ctx context.Context, m message, i int, r dsn.Recipient) (Outcome, error) {
	mt, err := p.match(ctx, m, r)
	if err != nil {
		return Outcome{}, err
	}
	o := Outcome{
		Recipient: r.Address, Verdict: r.Verdict, Status: r.Status, Action: r.Action,
		Diagnostic: r.Diagnostic, RemoteMTA: r.RemoteMTA, Rule: r.Rule, Match: mt.method,
		CampaignID: mt.campaignID, ContactID: mt.contactID, BrandID: mt.brandID,
	}
	if mt.erased {
		o.ContactID = 0 // an erased person is not named again
	}
	if !m.apply || mt.method == "" {
		// Unmatched mail is not an event: there is nothing to attach it to, and anyone can
		// write to postmaster@. It is quarantined instead (see quarantineIfNeeded).
		return o, nil
	}
	rk := r.Address
	if rk == "" {
		rk = fmt.Sprintf("#%d", i)
	}
	err = pg.InTx(ctx, p.deps.DB, func(tx pgx.Tx) error {
		return p.apply(ctx, tx, m, &o, mt, m.key+":"+rk)
	})
	switch {
	case errors.Is(err, errDuplicate):
		o.Effect = EffectDuplicate
	case err != nil:
		return o, fmt.Errorf("inbound: %s for %s: %w", o.Verdict, emailaddr.Mask(r.Address), err)
	}
	p.logOutcome(o)
	return o, nil
}

// apply records o's event and its effects in tx; it returns errDuplicate when the event was
// recorded before, so that nothing else is written twice.
func (p *Processor) apply(ctx context.Context, tx pgx.Tx, m message, o *Outcome, mt match, key string) error {
	o.Effect = EffectRecorded
	if mt.contactID != 0 && !mt.erased {
		// The match read the contact unlocked. Lock it now: an erasure in progress finishes
		// first, and none starts until tx ends; a contact erased since is treated as erased.
		missing, err := register.New(tx).HoldContacts(ctx, []int64{mt.contactID})
		if err != nil {
			return err
		}
		if missing[mt.contactID] {
			mt.erased, mt.email, o.ContactID = true, "", 0
		}
	}
	if o.Verdict == dsn.Soft && mt.email != "" {
		// Counted before the event, which carries the count. A repeated message counts nothing:
		// its soft_bounces row exists, and its event conflicts below, rolling everything back.
		n, err := p.countSoftBounce(ctx, tx, mt, key)
		if err != nil {
			return err
		}
		o.SoftBounces = n
	}
	n, err := events.Insert(ctx, tx, p.event(m, *o, mt, key))
	if err != nil {
		return err
	}
	if n == 0 {
		return errDuplicate
	}
	switch {
	case mt.erased && (o.Verdict == dsn.Hard || o.Verdict == dsn.Complaint || o.Verdict == dsn.Soft):
		o.Effect = EffectErased
	case mt.email == "":
	case o.Verdict == dsn.Hard:
		return p.suppress(ctx, tx, o, mt, suppression.ReasonBounce, "bounce")
	case o.Verdict == dsn.Soft && p.cfg.SoftBounceLimit > 0 && o.SoftBounces >= p.cfg.SoftBounceLimit:
		return p.suppress(ctx, tx, o, mt, suppression.ReasonBounce, fmt.Sprintf("%d soft bounces", o.SoftBounces))
	case o.Verdict == dsn.Complaint:
		if err := p.suppress(ctx, tx, o, mt, suppression.ReasonComplaint, "feedback loop"); err != nil {
			return err
		}
		return p.ban(ctx, tx, o, mt)
	}
	return nil
}

func (p *Processor) suppress(ctx context.Context, tx pgx.Tx, o *Outcome, mt match, reason suppression.Reason, source string) error {
	_, _, err := p.deps.Suppression.Add(ctx, tx, suppression.Input{
		Address: mt.email, Reason: reason, Source: "inbound: " + source, Actor: "inbound",
		ContactID: mt.contactID, CampaignID: mt.campaignID,
	})
	if err != nil {
		return err
	}
	o.Effect = EffectSuppressed
	return nil
}

// ban records the register's direct-marketing ban for a complaint: "this is spam" is an
// objection to marketing at least as strong as an unsubscribe, and the register must know it.
func (p *Processor) ban(ctx context.Context, tx pgx.Tx, o *Outcome, mt match) error {
	if !mt.banned {
		_, err := register.New(tx).RecordPermission(ctx, mt.contactID, register.ActionBan,
			"complaint (feedback loop)", "inbound", "")
		if err != nil {
			return err
		}
	}
	o.Effect = EffectBanned
	return nil
}

// unsubscribe handles mail to a mailto: unsubscribe address exactly as the one-click POST.
func (p *Processor) unsubscribe(ctx context.Context, m message, c token.Claims) (Outcome, error) {
	o := Outcome{
		Verdict: dsn.Unsubscribe, Rule: "mailto", Match: MatchMailto,
		CampaignID: c.CampaignID, ContactID: c.ContactID,
	}
	if !m.apply {
		return o, nil
	}
	err := p.deps.Optout.Unsubscribe(ctx, optout.Request{
		CampaignID: c.CampaignID, ContactID: c.ContactID, Source: "mailto", Actor: "recipient",
	})
	if err != nil {
		return o, fmt.Errorf("inbound: mailto unsubscribe of contact %d: %w", c.ContactID, err)
	}
	o.Effect = EffectUnsubscribed
	p.logOutcome(o)
	return o, nil
}

func (p *Processor) logOutcome(o Outcome) {
	p.log.Info("inbound: outcome", "verdict", string(o.Verdict), "status", o.Status, "rule", o.Rule,
		"match", o.Match, "campaign_id", o.CampaignID, "contact_id", o.ContactID,
		"recipient", emailaddr.Mask(o.Recipient), "effect", o.Effect)
}
