package register

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// Sentinel errors callers branch on (errors.Is). They are always wrapped with context.
var (
	// ErrNotFound: no company, contact or brand with that ID, email or name.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the input breaks a rule. The error is a *FieldError naming the field.
	ErrInvalid = errors.New("invalid")
	// ErrConflict: the change would duplicate a unique value (an email or a brand name).
	ErrConflict = errors.New("conflict")
)

// FieldError says which input field is invalid and why. It matches ErrInvalid with errors.Is.
type FieldError struct {
	Field  string // snake_case, as in JSON and CSV: "email", "business_id", "dkim_key"…
	Reason string
}

// Error says which field is invalid and why: "invalid kind: \"b2x\" is neither b2b nor b2c".
func (e *FieldError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// inTx runs fn in a transaction on db when db can begin one (a pool, or a savepoint inside a
// caller's transaction); otherwise fn runs on db as it is.
func inTx(ctx context.Context, db pg.DBTX, fn func(db pg.DBTX) error) error {
	b, ok := db.(pg.TxBeginner)
	if !ok {
		return fn(db)
	}
	return pg.InTx(ctx, b, func(tx pgx.Tx) error { return fn(tx) })
}
