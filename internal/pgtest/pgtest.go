// Package pgtest gives each test its own freshly migrated PostgreSQL schema on the server named by
// KIRJE_DATABASE_URL (default: the local cluster scripts/services.sh starts), so tests and test
// packages run in parallel without seeing each other's data.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/pg"
)

// DefaultURL is the database the local services script starts.
const DefaultURL = "postgres://kirje@127.0.0.1:25432/kirje?sslmode=disable"

// BaseURL returns KIRJE_DATABASE_URL, or DefaultURL when it is unset.
func BaseURL() string {
	if u := os.Getenv("KIRJE_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// DB is a test's own schema.
type DB struct {
	Pool   *pgxpool.Pool
	URL    string // connects to the same schema (search_path set), e.g. for a subprocess
	Schema string
}

// New creates a schema named for the test, migrates it, and returns a pool whose connections use
// it. The schema is dropped when the test ends (kept when KIRJE_TEST_KEEP is set, for debugging).
func New(t testing.TB) *DB {
	t.Helper()
	ctx := context.Background()

	schema := "t_" + randomHex(6)
	admin, err := pg.Open(ctx, BaseURL())
	require.NoError(t, err, "pgtest: is PostgreSQL up? run scripts/services.sh up or set KIRJE_DATABASE_URL")
	defer admin.Close()
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)

	u, err := url.Parse(BaseURL())
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	pool, err := pg.Open(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(func() {
		pool.Close()
		if os.Getenv("KIRJE_TEST_KEEP") != "" {
			t.Logf("pgtest: kept schema %s", schema)
			return
		}
		admin, err := pg.Open(context.Background(), BaseURL())
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	_, err = pg.Migrate(ctx, pool, nil)
	require.NoError(t, err)
	return &DB{Pool: pool, URL: u.String(), Schema: schema}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
