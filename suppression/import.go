package suppression

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
)

// ImportOptions are the defaults for every imported row; a row's own brand_id, reason or source
// column, when not empty, wins.
type ImportOptions struct {
	Reason   Reason // default ReasonImport
	BrandID  int64  // 0: all marketing
	Source   string // default "import"
	Actor    string
	HashOnly bool // keep only hashes, not plain addresses
	// Progress, when set, is called after each committed chunk with the rows read so far.
	Progress func(rowsRead int)
}

// ImportResult says what Import did.
type ImportResult struct {
	Added    int        `json:"added"`    // new entries
	Existing int        `json:"existing"` // rows already on the list (or repeated in the file)
	Rejected int        `json:"rejected"` // bad rows, skipped
	Errors   []RowError `json:"errors,omitempty"`
}

// RowError names a rejected row by its line in the file.
type RowError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// maxRowErrors bounds the memory a hostile file can make Import spend on error reports;
// Rejected still counts every bad row.
const maxRowErrors = 1000

// importChunk is how many rows one transaction inserts.
const importChunk = 5000

// Import reads entries from CSV (see csvRows for the columns), skips and reports bad rows by line,
// and adds the good ones in chunks: each chunk is inserted set-based in its own transaction with
// its events, and mirrored before that transaction commits (as Add). A chunk that fails stops the
// import with an error; the chunks before it stay added and the result counts them.
func (l *List) Import(ctx context.Context, r io.Reader, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	if opts.Reason == "" {
		opts.Reason = ReasonImport
	}
	if opts.Source == "" {
		opts.Source = "import"
	}
	rows, err := newCSVRows(r, opts)
	if err != nil {
		return res, fmt.Errorf("suppression: import: %w", err)
	}
	chunk := make([]pendingRow, 0, importChunk)
	read := 0
	for {
		rw, line, rowErr, err := rows.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("suppression: import: line %d: %w", line, err)
		}
		read++
		if rowErr != nil {
			res.reject(line, rowErr)
			continue
		}
		if chunk = append(chunk, pendingRow{row: rw, line: line}); len(chunk) == importChunk {
			if err := l.importChunk(ctx, chunk, &res); err != nil {
				return res, err
			}
			chunk = chunk[:0]
			if opts.Progress != nil {
				opts.Progress(read)
			}
		}
	}
	if err := l.importChunk(ctx, chunk, &res); err != nil {
		return res, err
	}
	return res, nil
}

type pendingRow struct {
	row
	line int
}

func (res *ImportResult) reject(line int, err error) {
	res.Rejected++
	if len(res.Errors) < maxRowErrors {
		res.Errors = append(res.Errors, RowError{Line: line, Reason: err.Error()})
	}
}

// importChunk adds one chunk in its own transaction.
func (l *List) importChunk(ctx context.Context, chunk []pendingRow, res *ImportResult) error {
	if len(chunk) == 0 {
		return nil
	}
	var added, existing int
	var rejected []pendingRow
	err := pg.InTx(ctx, l.pool, func(tx pgx.Tx) error {
		if err := l.holdShared(ctx, tx); err != nil {
			return err
		}
		good, bad, err := dropUnknownBrands(ctx, tx, chunk)
		if err != nil {
			return err
		}
		created, err := l.insertMany(ctx, tx, good)
		if err != nil {
			return err
		}
		members := make([]string, len(good))
		for i, p := range good {
			members[i] = p.member()
		}
		if err := l.mirrorAdd(ctx, members...); err != nil {
			return err
		}
		added, existing, rejected = created, len(good)-created, bad
		return nil
	})
	if err != nil {
		return fmt.Errorf("suppression: import: chunk from line %d: %w", chunk[0].line, err)
	}
	res.Added += added
	res.Existing += existing
	for _, p := range rejected {
		res.reject(p.line, fmt.Errorf("%w: unknown brand %d", ErrInvalid, p.brandID))
	}
	return nil
}

const knownBrandsSQL = `SELECT id FROM brands WHERE id = ANY($1)`

// dropUnknownBrands splits off rows whose brand does not exist, which would otherwise fail the
// whole chunk's INSERT on the foreign key.
func dropUnknownBrands(ctx context.Context, tx pgx.Tx, chunk []pendingRow) (good, bad []pendingRow, err error) {
	var ids []int64
	for _, p := range chunk {
		if p.brandID != 0 {
			ids = append(ids, p.brandID)
		}
	}
	if len(ids) == 0 {
		return chunk, nil, nil
	}
	rows, err := tx.Query(ctx, knownBrandsSQL, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("brands: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, nil, fmt.Errorf("brands: %w", err)
	}
	known := map[int64]bool{}
	for _, id := range found {
		known[id] = true
	}
	for _, p := range chunk {
		if p.brandID == 0 || known[p.brandID] {
			good = append(good, p)
		} else {
			bad = append(bad, p)
		}
	}
	return good, bad, nil
}

// insertManySQL inserts a chunk from parallel arrays; rows already on the list, or repeated in
// the chunk, are skipped by the unique indexes, and RETURNING yields only the new ones.
const insertManySQL = `
INSERT INTO suppressions (address_hash, address, domain, brand_id, reason, source, actor, created_at)
SELECT t.h, nullif(t.a, ''), nullif(t.d, ''), nullif(t.b, 0), t.r, t.s, $7, $8
FROM unnest($1::bytea[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[]) AS t(h, a, d, b, r, s)
ON CONFLICT DO NOTHING
RETURNING ` + entryColumns

// insertMany inserts rows and records an event for each new entry; it returns how many were new.
func (l *List) insertMany(ctx context.Context, tx pgx.Tx, rows []pendingRow) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	n := len(rows)
	hashes, addrs, domains := make([][]byte, n), make([]string, n), make([]string, n)
	brands, reasons, sources := make([]int64, n), make([]string, n), make([]string, n)
	for i, p := range rows {
		hashes[i], addrs[i], domains[i] = p.hash, p.address, p.domain
		brands[i], reasons[i], sources[i] = p.brandID, string(p.reason), p.source
	}
	now := l.now()
	res, err := tx.Query(ctx, insertManySQL, hashes, addrs, domains, brands, reasons, sources, rows[0].actor, now)
	if err != nil {
		return 0, fmt.Errorf("insert: %w", err)
	}
	created, err := collectEntries(res)
	if err != nil {
		return 0, fmt.Errorf("insert: %w", err)
	}
	evs := make([]events.Event, len(created))
	for i, e := range created {
		evs[i] = entryEvent(events.SuppressionAdded, e, e.Actor)
		evs[i].OccurredAt = now
	}
	if _, err := events.Insert(ctx, tx, evs...); err != nil {
		return 0, err
	}
	return len(created), nil
}
