package pgtest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pgtest"
)

func TestSchemasAreIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := pgtest.New(t), pgtest.New(t)
	require.NotEqual(t, a.Schema, b.Schema)

	_, err := a.Pool.Exec(ctx, `INSERT INTO brands (name, from_address, postal_address) VALUES ('x', 'a@b.fi', 'Street 1')`)
	require.NoError(t, err)

	var n int
	require.NoError(t, a.Pool.QueryRow(ctx, `SELECT count(*) FROM brands`).Scan(&n))
	require.Equal(t, 1, n)
	require.NoError(t, b.Pool.QueryRow(ctx, `SELECT count(*) FROM brands`).Scan(&n))
	require.Equal(t, 0, n, "a second test's schema must not see the first one's rows")
}
