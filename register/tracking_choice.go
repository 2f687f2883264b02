package register

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TrackingChoice is one recorded choice of a contact about tracking: an objection to per-person
// tracking (level aggregate or off), consent to it (individual), or a return to the brand's
// level (Level ""). The history is kept like marketing bans and consents.
type TrackingChoice struct {
	ID        int64     `json:"id"`
	ContactID int64     `json:"contact_id"`
	Level     string    `json:"level"`  // a Tracking* level; "" follows the brand
	Source    string    `json:"source"` // how it reached us: "requested by email", "preference form"…
	Actor     string    `json:"actor"`  // staff user name or "recipient"
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// setTrackingSQL changes the contact's level and appends the history row in one statement, like
// recordPermissionSQL: no reader sees one without the other, and the UPDATE's row lock orders
// concurrent changes to one person.
const setTrackingSQL = `
WITH contact AS (
    UPDATE contacts SET tracking = nullif($2, ''), updated_at = now()
    WHERE id = $1
    RETURNING id
)
INSERT INTO tracking_choices (contact_id, level, source, actor, note)
SELECT id, nullif($2, ''), $3, $4, $5 FROM contact
RETURNING id, contact_id, coalesce(level, ''), source, actor, note, created_at`

// SetTracking records the contact's own tracking choice and makes it the contact's level, which
// the sender applies to every message rendered from then on (it overrides the brand's level).
// level is a Tracking* level, or "" to follow the brand again. Errors: ErrNotFound for no such
// contact, ErrInvalid for an unknown level or an empty source or actor.
func (s *Store) SetTracking(ctx context.Context, contactID int64, level, source, actor, note string) (TrackingChoice, error) {
	level, err := parseTracking(level)
	if err != nil {
		return TrackingChoice{}, fmt.Errorf("register: set tracking: %w", err)
	}
	if source, actor, note, err = cleanProvenance(source, actor, note); err != nil {
		return TrackingChoice{}, fmt.Errorf("register: set tracking: %w", err)
	}
	var c TrackingChoice
	err = s.db.QueryRow(ctx, setTrackingSQL, contactID, level, source, actor, note).
		Scan(&c.ID, &c.ContactID, &c.Level, &c.Source, &c.Actor, &c.Note, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return TrackingChoice{}, fmt.Errorf("register: set tracking of contact %d: %w", contactID, ErrNotFound)
	}
	if err != nil {
		return TrackingChoice{}, fmt.Errorf("register: set tracking of contact %d: %w", contactID, err)
	}
	return c, nil
}

// TrackingChoices returns the contact's tracking choices, oldest first (empty for none, or no
// such contact).
func (s *Store) TrackingChoices(ctx context.Context, contactID int64) ([]TrackingChoice, error) {
	rows, err := s.db.Query(ctx, `
SELECT id, contact_id, coalesce(level, ''), source, actor, note, created_at
FROM tracking_choices WHERE contact_id = $1 ORDER BY id`, contactID)
	if err != nil {
		return nil, fmt.Errorf("register: tracking choices of contact %d: %w", contactID, err)
	}
	cs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TrackingChoice])
	if err != nil {
		return nil, fmt.Errorf("register: tracking choices of contact %d: %w", contactID, err)
	}
	return cs, nil
}
