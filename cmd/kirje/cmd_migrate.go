package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/kirje/kirje/internal/pg"
)

func migrateCommand() *command {
	return &command{
		name:     "migrate",
		summary:  "apply database schema migrations (idempotent)",
		settings: with([]string{"database-url"}, logSettings()),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				pool, err := e.db(ctx)
				if err != nil {
					return err
				}
				res, err := pg.Migrate(ctx, pool, nil)
				if err != nil {
					return err
				}
				if len(res.Applied) == 0 {
					fmt.Fprintf(e.stdout, "schema is up to date (version %d)\n", res.Version)
					return nil
				}
				fmt.Fprintf(e.stdout, "applied %d migration(s); schema version %d\n", len(res.Applied), res.Version)
				return nil
			}
		},
	}
}
