package register

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// RecordPermission records a marketing ban, unban, consent or withdrawal (Action*) for the
// contact, with how it was recorded (source), by whom (actor) and an optional note, and sets the
// contact's current state in the same statement: ban sets banned_at to now, unban clears it,
// consent sets consent_at to now, withdraw clears it. The history row's time is the state's time.
// Errors: ErrNotFound for no such contact, ErrInvalid for an unknown action or an empty source
// or actor.
func (s *Store) RecordPermission(ctx context.Context, contactID int64, action, source, actor, note string) (Permission, error) {
	switch action {
	case ActionBan, ActionUnban, ActionConsent, ActionWithdraw:
	default:
		return Permission{}, fmt.Errorf("register: record permission: %w", invalid("action", "%q is not one of ban, unban, consent, withdraw", action))
	}
	source, actor, note, err := cleanProvenance(source, actor, note)
	if err != nil {
		return Permission{}, fmt.Errorf("register: record permission: %w", err)
	}
	var p Permission
	err = s.db.QueryRow(ctx, recordPermissionSQL, contactID, action, source, actor, note).
		Scan(&p.ID, &p.ContactID, &p.Action, &p.Source, &p.Actor, &p.Note, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Permission{}, fmt.Errorf("register: record permission for contact %d: %w", contactID, ErrNotFound)
	}
	if err != nil {
		return Permission{}, fmt.Errorf("register: record permission for contact %d: %w", contactID, err)
	}
	return p, nil
}

// recordPermissionSQL changes the contact's state and appends the history row in one statement,
// so no reader and no crash can see one without the other. The UPDATE locks the contact row,
// which orders concurrent changes to the same person; now() is the transaction's time, so
// banned_at / consent_at equal the history row's created_at.
const recordPermissionSQL = `
WITH contact AS (
    UPDATE contacts SET
        banned_at  = CASE $2::text WHEN 'ban' THEN now() WHEN 'unban' THEN NULL ELSE banned_at END,
        consent_at = CASE $2::text WHEN 'consent' THEN now() WHEN 'withdraw' THEN NULL ELSE consent_at END,
        updated_at = now()
    WHERE id = $1
    RETURNING id
)
INSERT INTO marketing_permissions (contact_id, action, source, actor, note)
SELECT id, $2, $3, $4, $5 FROM contact
RETURNING id, contact_id, action, source, actor, note, created_at`

// Permissions returns the contact's ban and consent history, oldest first. A contact without
// history, or no such contact, gives an empty list.
func (s *Store) Permissions(ctx context.Context, contactID int64) ([]Permission, error) {
	rows, err := s.db.Query(ctx, `
SELECT id, contact_id, action, source, actor, note, created_at
FROM marketing_permissions WHERE contact_id = $1 ORDER BY id`, contactID)
	if err != nil {
		return nil, fmt.Errorf("register: permissions of contact %d: %w", contactID, err)
	}
	ps, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Permission])
	if err != nil {
		return nil, fmt.Errorf("register: permissions of contact %d: %w", contactID, err)
	}
	return ps, nil
}

// cleanProvenance checks how a recorded choice arrived and who recorded it: source and actor are
// required single lines, note an optional text.
func cleanProvenance(source, actor, note string) (string, string, string, error) {
	var err error
	for _, f := range []struct {
		name string
		v    *string
	}{{"source", &source}, {"actor", &actor}} {
		if *f.v, err = cleanText(f.name, *f.v, false); err == nil && *f.v == "" {
			err = invalid(f.name, "empty")
		}
		if err != nil {
			return "", "", "", err
		}
	}
	if note, err = cleanText("note", note, true); err != nil {
		return "", "", "", err
	}
	return source, actor, note, nil
}
