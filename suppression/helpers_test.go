package suppression_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/suppression"
)

type bundle struct {
	ctx   context.Context
	db    *pgtest.DB
	redis *redistest.Redis
	list  *suppression.List
}

// setup gives a test its own schema, Redis prefix and a List on them whose mirror is ready.
func setup(t testing.TB) bundle {
	t.Helper()
	b := bundle{ctx: context.Background(), db: pgtest.New(t), redis: redistest.New(t)}
	b.list = b.newList(t)
	require.NoError(t, b.list.EnsureReady(b.ctx))
	return b
}

// newList is another List on the same schema and prefix: another process.
func (b bundle) newList(t testing.TB) *suppression.List {
	t.Helper()
	l, err := suppression.New(b.db.Pool, suppression.Config{RedisURL: b.redis.URL, Prefix: b.redis.Prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func (b bundle) brand(t testing.TB, name string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, b.db.Pool.QueryRow(b.ctx,
		`INSERT INTO brands (name, from_address, postal_address) VALUES ($1, 'news@example.fi', 'Katu 1, Helsinki') RETURNING id`,
		name).Scan(&id))
	return id
}

func (b bundle) add(t testing.TB, in suppression.Input) suppression.Entry {
	t.Helper()
	if in.Reason == "" {
		in.Reason = suppression.ReasonManual
	}
	e, _, err := b.list.AddOne(b.ctx, in)
	require.NoError(t, err)
	return e
}

func (b bundle) suppressed(t testing.TB, brandID int64, addr string) bool {
	t.Helper()
	v, err := b.list.Check(b.ctx, brandID, addr)
	require.NoError(t, err)
	return v.Suppressed
}

// seed writes n address entries (user<i>@bulk.example, all marketing) straight to the table
// with COPY, without touching the mirror.
func (b bundle) seed(t testing.TB, n int) {
	t.Helper()
	_, err := b.db.Pool.CopyFrom(b.ctx, pgx.Identifier{"suppressions"}, []string{"address_hash", "reason"},
		pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			h := suppression.Hash(bulkAddress(i))
			return []any{h[:], "import"}, nil
		}))
	require.NoError(t, err)
}

func bulkAddress(i int) string { return fmt.Sprintf("user%d@bulk.example", i) }
