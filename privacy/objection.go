package privacy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// Objection is what Object recorded.
type Objection struct {
	ContactID int64 `json:"contact_id,omitempty"` // 0: the address is in no contact
	// SuppressionID is the entry added for an address no contact has (0 otherwise: the optout
	// service recorded the contact's entry and ban).
	SuppressionID int64 `json:"suppression_id,omitempty"`
}

// Object records a data subject's objection to direct marketing (GDPR Art. 21) for address, with
// how it reached us (source, e.g. "requested by email"), effective for every later send once it
// returns. A contact goes through the same path as an unsubscribe (optout.Service: a suppression
// entry for all marketing, the register's ban and the unsubscribe event, in one commit). An
// address no contact has gets an all-marketing suppression entry (reason unsubscribe), so a later
// import is suppressed too. The audit entry (by names who asked) is written right after: the
// optout service commits its own transaction. Errors: ErrInvalid for a bad address or an empty
// source.
func (s *Service) Object(ctx context.Context, address, source string, by access.Entry) (Objection, error) {
	sub, err := newSubject(address)
	if err != nil {
		return Objection{}, fmt.Errorf("privacy: object: %w", err)
	}
	if source = strings.TrimSpace(source); source == "" {
		return Objection{}, fmt.Errorf("privacy: object: %w: source is required: how the objection reached us", ErrInvalid)
	}
	if s.optouts == nil {
		return Objection{}, errors.New("privacy: object: no optout service configured")
	}
	var res Objection
	c, err := register.New(s.db).ContactByEmail(ctx, sub.address)
	switch {
	case err == nil:
		res.ContactID = c.ID
		err = s.optouts.Unsubscribe(ctx, optout.Request{ContactID: c.ID, Scope: optout.ScopeAll,
			Source: source, Actor: by.Actor})
	case errors.Is(err, register.ErrNotFound):
		var e suppression.Entry
		e, _, err = s.list.AddOne(ctx, suppression.Input{Address: sub.address, Reason: suppression.ReasonUnsubscribe,
			Source: source, Actor: by.Actor})
		res.SuppressionID = e.ID
	}
	if err != nil {
		return Objection{}, fmt.Errorf("privacy: object: %w", err)
	}
	by.Action, by.Target = access.ActionSubjectObjection, access.SubjectTarget(sub.hash)
	// The source is free text that might quote the address: it stays in the history, which
	// erasure scrubs, not in the append-only audit log.
	by.Detail = map[string]any{"contact_id": res.ContactID, "suppression_id": res.SuppressionID}
	if _, err := access.Audit(ctx, s.db, by); err != nil {
		return res, fmt.Errorf("privacy: object: recorded, but %w", err)
	}
	return res, nil
}

// SetTracking records a contact's own choice about tracking — an objection to per-person
// tracking (register.TrackingAggregate or TrackingOff), consent to it (TrackingIndividual), or ""
// to follow the brand again — with its history, and the audit entry (by names who asked) in the
// same transaction. Messages rendered from then on carry the new level. Errors: ErrNotFound,
// ErrInvalid (an unknown level, an empty source).
func (s *Service) SetTracking(ctx context.Context, contactID int64, level, source string, by access.Entry) (register.TrackingChoice, error) {
	var ch register.TrackingChoice
	err := pg.InTx(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		if ch, err = register.New(tx).SetTracking(ctx, contactID, level, source, by.Actor, ""); err != nil {
			return err
		}
		by.Action, by.Target = access.ActionContactTracking, fmt.Sprintf("contacts/%d", contactID)
		by.Detail = map[string]any{"level": ch.Level, "tracking_choice_id": ch.ID}
		_, err = access.Audit(ctx, tx, by)
		return err
	})
	switch {
	case errors.Is(err, register.ErrNotFound):
		return register.TrackingChoice{}, fmt.Errorf("privacy: set tracking: %w: contact %d", ErrNotFound, contactID)
	case errors.Is(err, register.ErrInvalid):
		return register.TrackingChoice{}, fmt.Errorf("privacy: set tracking: %w: %w", ErrInvalid, err)
	case err != nil:
		return register.TrackingChoice{}, fmt.Errorf("privacy: set tracking: %w", err)
	}
	return ch, nil
}
