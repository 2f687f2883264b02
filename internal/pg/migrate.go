package pg

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/kirje/kirje/migrations"
)

// MigrateResult says what Migrate did.
type MigrateResult struct {
	Applied []int64 // versions applied by this call
	Version int64   // schema version afterwards
}

// Migrate applies every embedded migration not yet applied. It is idempotent, and safe to run
// from several processes at once: a PostgreSQL advisory lock lets one migrate while the others
// wait and then find nothing to do.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (MigrateResult, error) {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()

	// The lock is per schema: installs (and tests) in different schemas of one database migrate
	// independently instead of queueing behind one another.
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return MigrateResult{}, fmt.Errorf("pg: migrate: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("kirje/migrate/" + schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()&^(1<<63))), lock.WithLockTimeout(1, 300))
	if err != nil {
		return MigrateResult{}, fmt.Errorf("pg: migrate: locker: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true)}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, opts...)
	if err != nil {
		return MigrateResult{}, fmt.Errorf("pg: migrate: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return MigrateResult{}, fmt.Errorf("pg: migrate: %w", err)
	}
	var res MigrateResult
	for _, r := range results {
		res.Applied = append(res.Applied, r.Source.Version)
	}
	if res.Version, err = p.GetDBVersion(ctx); err != nil {
		return res, fmt.Errorf("pg: migrate: version: %w", err)
	}
	return res, nil
}
