// Package migrations holds Kirje's PostgreSQL schema as goose SQL migrations, embedded in the
// binary. internal/pg applies them; nothing else should read these files.
package migrations

import "embed"

// FS is the embedded set of migration files, in goose's NNNNN_name.sql form.
//
//go:embed *.sql
var FS embed.FS
