package main

import (
	"context"
	"fmt"
	"os/user"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/kirje/kirje/internal/pg"
)

// Settings groups commands take.
func logSettings() []string { return []string{"log-format", "log-level"} }
func adminSettings() []string {
	return []string{"database-url", "admin-user", "log-format", "log-level"}
}

func with(groups ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range groups {
		for _, s := range g {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// db opens the PostgreSQL pool once per command run: later calls (the role check, then the
// command and the helpers it calls) share it.
func (e *env) db(ctx context.Context) (*pgxpool.Pool, error) {
	if e.pool != nil {
		return e.pool, nil
	}
	pool, err := pg.Open(ctx, e.cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	e.onClose(pool.Close)
	e.pool = pool
	return pool, nil
}

// redis opens a Redis client.
func (e *env) redis(ctx context.Context) (*redis.Client, error) {
	opts, err := redis.ParseURL(e.cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	c := redis.NewClient(opts)
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis: ping: %w", err)
	}
	e.onClose(func() { _ = c.Close() })
	return c, nil
}

// actor is who the audit trail and history rows name for CLI actions.
func (e *env) actor() string {
	if e.cfg.AdminUser != "" {
		return e.cfg.AdminUser
	}
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}
