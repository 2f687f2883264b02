package register_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/register"
)

// bundle is what a register test needs: its own schema and a store on it.
type bundle struct {
	ctx   context.Context
	db    *pgtest.DB
	store *register.Store
}

func setup(t *testing.T) bundle {
	t.Helper()
	t.Parallel()
	db := pgtest.New(t)
	return bundle{ctx: t.Context(), db: db, store: register.New(db.Pool)}
}

// contact upserts a contact with the given email and options applied, failing the test on error.
func (b bundle) contact(t *testing.T, email string, opts ...func(*register.ContactInput)) register.Contact {
	t.Helper()
	in := register.ContactInput{Email: email}
	for _, o := range opts {
		o(&in)
	}
	c, _, err := b.store.UpsertContact(b.ctx, in)
	require.NoError(t, err)
	return c
}

func withKind(k register.Kind) func(*register.ContactInput) {
	return func(in *register.ContactInput) { in.Kind = k }
}

// count returns the number of rows in table.
func (b bundle) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, "SELECT count(*) FROM "+table).Scan(&n))
	return n
}
