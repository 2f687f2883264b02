package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/tracking"
)

// The tracking endpoint defines the small interfaces it needs; these adapt the domain packages to
// them. Unknown rows become tracking.ErrNotFound (a 404); anything else is a 503.

type trackingLinks struct{ db *pgxpool.Pool }

func (l trackingLinks) Link(ctx context.Context, campaignID int64, linkID int) (string, bool, error) {
	link, err := campaign.New(l.db).Link(ctx, campaignID, linkID)
	if errors.Is(err, campaign.ErrNotFound) {
		return "", false, fmt.Errorf("%w: %w", tracking.ErrNotFound, err)
	}
	return link.URL, link.Honeypot, err
}

type trackingRecipients struct{ db *pgxpool.Pool }

func (r trackingRecipients) Recipient(ctx context.Context, campaignID, contactID int64) (tracking.Recipient, error) {
	c, err := register.New(r.db).Contact(ctx, contactID)
	if errors.Is(err, register.ErrNotFound) {
		return tracking.Recipient{}, fmt.Errorf("%w: %w", tracking.ErrNotFound, err)
	}
	if err != nil {
		return tracking.Recipient{}, err
	}
	out := tracking.Recipient{Email: c.Email}
	camp, err := campaign.New(r.db).Get(ctx, campaignID)
	switch {
	case errors.Is(err, campaign.ErrNotFound):
		return out, nil // the person can still opt out of everything
	case err != nil:
		return tracking.Recipient{}, err
	}
	b, err := register.New(r.db).Brand(ctx, camp.BrandID)
	if err != nil {
		return tracking.Recipient{}, err
	}
	out.BrandID, out.BrandName = b.ID, b.Name
	return out, nil
}

type trackingOptouts struct{ svc *optout.Service }

func (o trackingOptouts) request(r tracking.OptoutRequest) optout.Request {
	return optout.Request{CampaignID: r.CampaignID, ContactID: r.ContactID, Scope: r.Scope,
		Source: r.Source, Actor: "recipient", IP: r.IP, UserAgent: r.UserAgent}
}

func (o trackingOptouts) Unsubscribe(ctx context.Context, r tracking.OptoutRequest) error {
	return optoutError(o.svc.Unsubscribe(ctx, o.request(r)))
}

func (o trackingOptouts) Undo(ctx context.Context, r tracking.OptoutRequest) error {
	return optoutError(o.svc.Undo(ctx, o.request(r)))
}

// optoutError makes optout's refusal of what a valid token asked (a brand-only opt-out of a
// campaign that is gone) tracking's ErrNotFound, answered 404: retrying cannot help, unlike the
// 503 of any other error. An undo with nothing to undo keeps its meaning.
func optoutError(err error) error {
	switch {
	case errors.Is(err, optout.ErrInvalid):
		return fmt.Errorf("%w: %w", tracking.ErrNotFound, err)
	case errors.Is(err, optout.ErrNothingToUndo):
		return fmt.Errorf("%w: %w", tracking.ErrNothingToUndo, err)
	}
	return err
}
