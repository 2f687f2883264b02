package suppression

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/emailaddr"
)

// ListOptions filters and pages List. Zero values mean "any".
type ListOptions struct {
	AfterID int64  // keyset: entries with a larger ID
	Limit   int    // default 100, at most 1000
	Reason  Reason // only this reason
	BrandID int64  // only this brand's entries (all-marketing entries have BrandID 0 and are not filtered by it)
}

const listSQL = `SELECT ` + entryColumns + `
FROM suppressions
WHERE id > $1 AND ($2::text = '' OR reason = $2) AND ($3::bigint = 0 OR brand_id = $3)
ORDER BY id
LIMIT $4`

// List returns entries in ID order after opts.AfterID; pass the last ID back for the next page.
func (l *List) List(ctx context.Context, opts ListOptions) ([]Entry, error) {
	if opts.Limit <= 0 {
		opts.Limit = 100
	}
	opts.Limit = min(opts.Limit, 1000)
	rows, err := l.pool.Query(ctx, listSQL, opts.AfterID, string(opts.Reason), opts.BrandID, opts.Limit)
	if err != nil {
		return nil, fmt.Errorf("suppression: list: %w", err)
	}
	out, err := collectEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("suppression: list: %w", err)
	}
	return out, nil
}

const getSQL = `SELECT ` + entryColumns + ` FROM suppressions WHERE id = $1`

// Get returns entry id, or ErrNotFound.
func (l *List) Get(ctx context.Context, id int64) (Entry, error) {
	e, err := scanEntry(l.pool.QueryRow(ctx, getSQL, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Entry{}, fmt.Errorf("suppression: get %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("suppression: get %d: %w", id, err)
	}
	return e, nil
}

// findSQL reads the entries that suppress an address in any scope: its hash and its domain.
const findSQL = `SELECT ` + entryColumns + `
FROM suppressions WHERE address_hash = $1 OR domain = $2
ORDER BY id`

// Find returns every entry that suppresses address, in any scope, from PostgreSQL (for staff
// and reports; the send path uses Check). An invalid address gives an error wrapping ErrInvalid.
func (l *List) Find(ctx context.Context, address string) ([]Entry, error) {
	n, err := Normalize(address)
	if err != nil {
		return nil, fmt.Errorf("suppression: find: %w", err)
	}
	h := Hash(n)
	rows, err := l.pool.Query(ctx, findSQL, h[:], emailaddr.Domain(n))
	if err != nil {
		return nil, fmt.Errorf("suppression: find: %w", err)
	}
	out, err := collectEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("suppression: find: %w", err)
	}
	return out, nil
}

// Count returns the number of entries in PostgreSQL.
func (l *List) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := l.pool.QueryRow(ctx, `SELECT count(*) FROM suppressions`).Scan(&n); err != nil {
		return 0, fmt.Errorf("suppression: count: %w", err)
	}
	return n, nil
}
