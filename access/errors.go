package access

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// Sentinel errors callers branch on (errors.Is). They are returned wrapped with context.
var (
	// ErrNotFound: no user (or token of that user) with that ID or name.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a user name, role or token label breaks a rule; the message says which.
	ErrInvalid = errors.New("invalid")
	// ErrConflict: the name is taken, or the change would leave no enabled admin.
	ErrConflict = errors.New("conflict")
	// ErrUnauthenticated: the token is malformed, unknown, revoked, or its user is disabled.
	// Which of these it was is deliberately not said.
	ErrUnauthenticated = errors.New("unauthenticated")
)

// inTx runs fn in a transaction on db when db can begin one (a pool, or a savepoint inside a
// caller's transaction); otherwise fn runs on db as it is.
func inTx(ctx context.Context, db pg.DBTX, fn func(db pg.DBTX) error) error {
	b, ok := db.(pg.TxBeginner)
	if !ok {
		return fn(db)
	}
	return pg.InTx(ctx, b, func(tx pgx.Tx) error { return fn(tx) })
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("access: %s: %w", op, err)
}
