package access

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// SetRole gives the user role and returns the user as changed. Errors: ErrNotFound,
// ErrInvalid for an unknown role, ErrConflict when it would demote the last enabled admin.
func (s *Store) SetRole(ctx context.Context, id int64, role Role) (User, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, wrap("set role", err)
	}
	return s.change(ctx, "set role", id, role != RoleAdmin,
		`UPDATE users SET role = $2 WHERE id = $1 RETURNING `+userColumns, id, role)
}

// DisableUser stops the user from authenticating: every token of theirs fails from the next
// request on (tokens are kept, so EnableUser brings them back). Disabling a disabled user
// changes nothing. Errors: ErrNotFound, ErrConflict for the last enabled admin.
func (s *Store) DisableUser(ctx context.Context, id int64) (User, error) {
	return s.change(ctx, "disable user", id, true,
		`UPDATE users SET disabled = true WHERE id = $1 RETURNING `+userColumns, id)
}

// EnableUser lets a disabled user authenticate again with their unrevoked tokens. Errors:
// ErrNotFound.
func (s *Store) EnableUser(ctx context.Context, id int64) (User, error) {
	return s.change(ctx, "enable user", id, false,
		`UPDATE users SET disabled = false WHERE id = $1 RETURNING `+userColumns, id)
}

// lockAdminsSQL locks the enabled admins' rows in ID order. Two concurrent changes that would
// each remove a different one of the last two admins serialise here, and the second, re-reading
// the rows after the first commits, sees only one admin left.
const lockAdminsSQL = `SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`

// change runs update (which returns the user's row) in a transaction. When removesAdmin, it first
// refuses to take away the last enabled admin, so that someone can always manage users.
func (s *Store) change(ctx context.Context, op string, id int64, removesAdmin bool, update string, args ...any) (User, error) {
	var u User
	err := inTx(ctx, s.db, func(db pg.DBTX) error {
		if removesAdmin {
			if err := lastAdminGuard(ctx, db, id); err != nil {
				return err
			}
		}
		var err error
		u, err = scanUser(db.QueryRow(ctx, update, args...))
		return err
	})
	return u, wrap(fmt.Sprintf("%s %d", op, id), err)
}

func lastAdminGuard(ctx context.Context, db pg.DBTX, id int64) error {
	rows, err := db.Query(ctx, lockAdminsSQL)
	if err != nil {
		return err
	}
	admins, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	if len(admins) == 1 && slices.Contains(admins, id) {
		return fmt.Errorf("%w: user %d is the last enabled admin", ErrConflict, id)
	}
	return nil
}
