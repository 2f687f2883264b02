package optout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// Scopes of an opt-out.
const (
	ScopeAll   = "all"   // all marketing email: the register's direct-marketing ban
	ScopeBrand = "brand" // only the campaign's brand
)

// ErrInvalid is returned (wrapped) for a request that names no person or an unknown scope, or
// asks for a brand-only opt-out where there is no brand (no campaign, or one that is gone).
var ErrInvalid = errors.New("optout: invalid request")

// ErrNothingToUndo is returned (wrapped) by Undo when the list holds no unsubscribe of the
// request's scope to reverse: none was made, or it was undone already.
var ErrNothingToUndo = errors.New("optout: nothing to undo")

// Request is one person's opt-out or its undo.
type Request struct {
	CampaignID int64 // the campaign whose message carried the link (0 when not from a message)
	ContactID  int64
	Scope      string // ScopeAll (default) or ScopeBrand
	Source     string // how it arrived: "one-click", "page", "mailto", "requested by email"…
	Actor      string // "recipient" (default) or the staff user who recorded it
	IP         string
	UserAgent  string
}

// Service records opt-outs.
type Service struct {
	db   *pgxpool.Pool
	list *suppression.List
	now  func() time.Time
}

// New returns a Service writing to db and the suppression list.
func New(db *pgxpool.Pool, list *suppression.List) *Service {
	return &Service{db: db, list: list, now: time.Now}
}

func (r *Request) normalize() error {
	if r.ContactID <= 0 {
		return fmt.Errorf("%w: no contact", ErrInvalid)
	}
	switch r.Scope {
	case "":
		r.Scope = ScopeAll
	case ScopeAll, ScopeBrand:
	default:
		return fmt.Errorf("%w: scope %q", ErrInvalid, r.Scope)
	}
	if r.Scope == ScopeBrand && r.CampaignID == 0 {
		return fmt.Errorf("%w: a brand-only opt-out needs the campaign", ErrInvalid)
	}
	if r.Actor == "" {
		r.Actor = "recipient"
	}
	return nil
}

// target is the person and brand a request is about.
type target struct {
	contact register.Contact
	brandID int64
	erased  bool
}

func (s *Service) target(ctx context.Context, tx pgx.Tx, r Request) (target, error) {
	var t target
	// Lock the contact first: an erasure in progress (which holds it FOR UPDATE) finishes
	// before this reads it, and none starts until tx ends. Read unlocked, a contact erased in
	// between would get a suppression entry with its plain address and an event with its IP.
	reg := register.New(tx)
	missing, err := reg.HoldContacts(ctx, []int64{r.ContactID})
	if err != nil {
		return t, err
	}
	if missing[r.ContactID] {
		return target{erased: true}, nil
	}
	c, err := reg.Contact(ctx, r.ContactID)
	switch {
	case errors.Is(err, register.ErrNotFound):
		// Erased: the erasure left a hashed suppression entry, which keeps blocking sends.
		return target{erased: true}, nil
	case err != nil:
		return t, err
	}
	t.contact = c
	if r.CampaignID != 0 {
		camp, err := campaign.New(tx).Get(ctx, r.CampaignID)
		if err != nil && !errors.Is(err, campaign.ErrNotFound) {
			return t, err
		}
		t.brandID = camp.BrandID
	}
	if r.Scope == ScopeBrand && t.brandID == 0 {
		return t, fmt.Errorf("%w: campaign %d has no brand to opt out of", ErrInvalid, r.CampaignID)
	}
	return t, nil
}

// scopeBrand is the brand a suppression entry of scope is limited to: 0 (all marketing) unless
// scope is ScopeBrand.
func (t target) scopeBrand(scope string) int64 {
	if scope == ScopeBrand {
		return t.brandID
	}
	return 0
}

// Unsubscribe records the opt-out and returns once it is committed: every later suppression
// check sees it. Repeating it changes nothing and records nothing new.
func (s *Service) Unsubscribe(ctx context.Context, r Request) error {
	if err := r.normalize(); err != nil {
		return err
	}
	err := pg.InTx(ctx, s.db, func(tx pgx.Tx) error {
		t, err := s.target(ctx, tx, r)
		if err != nil || t.erased {
			return err
		}
		_, created, err := s.list.Add(ctx, tx, suppression.Input{
			Address: t.contact.Email, BrandID: t.scopeBrand(r.Scope), Reason: suppression.ReasonUnsubscribe,
			Source: r.Source, Actor: r.Actor, ContactID: r.ContactID, CampaignID: r.CampaignID,
		})
		if err != nil {
			return err
		}
		banned := false
		if r.Scope == ScopeAll && t.contact.BannedAt == nil {
			if _, err := register.New(tx).RecordPermission(ctx, r.ContactID, register.ActionBan,
				"unsubscribe ("+r.Source+")", r.Actor, ""); err != nil {
				return err
			}
			banned = true
		}
		if !created && !banned {
			return nil
		}
		_, err = events.Insert(ctx, tx, s.event(events.Unsubscribe, r, t))
		return err
	})
	if err != nil {
		return fmt.Errorf("optout: unsubscribe: %w", err)
	}
	return nil
}

// Undo reverses a mistaken unsubscribe of the same scope: in one transaction the unsubscribe
// entry leaves the suppression list and the person's renewed choice is recorded as consent (and a
// lifted ban); the mirror forgets the entry once that has committed. Entries of other reasons
// (bounces, complaints, staff additions) stay. With no unsubscribe entry of that scope on the
// list (none was made, or it was undone already) there is nothing to reverse: Undo records
// nothing and returns ErrNothingToUndo, since a link in a forwarded message must not become
// someone's consent, and a repeated undo is not a second one.
func (s *Service) Undo(ctx context.Context, r Request) error {
	if err := r.normalize(); err != nil {
		return err
	}
	var removed []suppression.Entry
	err := pg.InTx(ctx, s.db, func(tx pgx.Tx) error {
		t, err := s.target(ctx, tx, r)
		if err == nil && t.erased {
			err = ErrNothingToUndo // the erasure's entry stays: it is no unsubscribe
		}
		if err != nil {
			return err
		}
		removed, err = s.list.RemoveReason(ctx, tx, t.contact.Email, t.scopeBrand(r.Scope),
			suppression.ReasonUnsubscribe, r.Actor)
		if err == nil && len(removed) == 0 {
			err = ErrNothingToUndo // rolled back, having written nothing
		}
		if err != nil {
			return err
		}
		reg := register.New(tx)
		why := "undo unsubscribe (" + r.Source + ")"
		if r.Scope == ScopeAll && t.contact.BannedAt != nil {
			if _, err := reg.RecordPermission(ctx, r.ContactID, register.ActionUnban, why, r.Actor, ""); err != nil {
				return err
			}
		}
		if _, err := reg.RecordPermission(ctx, r.ContactID, register.ActionConsent, why, r.Actor, ""); err != nil {
			return err
		}
		_, err = events.Insert(ctx, tx, s.event(events.Resubscribe, r, t))
		return err
	})
	if err != nil {
		return wrap("undo", err)
	}
	s.list.Forget(ctx, removed)
	return nil
}

func (s *Service) event(typ events.Type, r Request, t target) events.Event {
	return events.Event{
		Type: typ, OccurredAt: s.now(), CampaignID: r.CampaignID, ContactID: r.ContactID,
		BrandID: t.brandID, IP: r.IP, UserAgent: r.UserAgent, Reason: r.Scope,
		Data: map[string]any{"source": r.Source, "scope": r.Scope, "actor": r.Actor},
	}
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("optout: %s: %w", op, err)
}
