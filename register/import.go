package register

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// Import limits.
const (
	DefaultChunkSize = 1000 // rows per transaction
	MaxRowErrors     = 1000 // rejected rows kept in ImportResult.Errors; all are counted
)

// Importer loads contacts from CSV files. Each chunk of rows commits in its own transaction, so
// it needs a pool (or a transaction, whose savepoints then play the chunks' part).
type Importer struct {
	db     pg.TxBeginner
	logger *slog.Logger
}

// NewImporter returns an Importer writing to db; logger may be nil.
func NewImporter(db pg.TxBeginner, logger *slog.Logger) *Importer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Importer{db: db, logger: logger}
}

// ImportOptions tune one import.
type ImportOptions struct {
	// Progress, when set, is called after each committed chunk with the data rows read so far.
	Progress func(rowsRead int)
	// Source and Actor are recorded with the bans and consents the file's banned and consent
	// columns set; "import" and "system" when empty.
	Source, Actor string
	// ChunkSize is the number of rows per transaction; DefaultChunkSize when 0.
	ChunkSize int
}

// ImportResult says what an import did. Imported + Updated + Rejected is the number of
// non-blank data rows read.
type ImportResult struct {
	Imported int        `json:"imported"` // new contacts
	Updated  int        `json:"updated"`  // rows applied to contacts that existed (or appeared earlier in the file)
	Rejected int        `json:"rejected"` // rows skipped, all of them counted
	Errors   []RowError `json:"errors"`   // the first MaxRowErrors rejected rows
	Encoding string     `json:"encoding"` // EncodingUTF8 or EncodingWindows1252
}

// RowError is a rejected CSV row.
type RowError struct {
	Line   int    `json:"line"`  // 1-based; the header is line 1
	Email  string `json:"email"` // the email cell as written, "" when there is none
	Reason string `json:"reason"`
}

func (res *ImportResult) reject(p parsedRow) {
	res.Rejected++
	if len(res.Errors) < MaxRowErrors {
		res.Errors = append(res.Errors, RowError{Line: p.line, Email: p.email, Reason: p.reason})
	}
}

// Import reads a contact CSV from r as a stream and upserts its rows by normalised email.
//
// Format: the first line names the columns, trimmed and case-insensitive, with spaces and hyphens
// read as underscores; a UTF-8 BOM is skipped; the delimiter is ',' unless ';' or a tab occurs
// more often in the header line; a file whose first 64 KiB are not UTF-8 is read as
// Windows-1252. Columns: email (required; also e_mail, email_address), first_name, last_name,
// title or job_title, academic_title, segment, country, phone, postal_address, company (or
// company_name), business_id, company_website and company_location (they apply only to a row
// naming a company; website and location are attributes), customer_number, lead_id, kind (b2b
// or b2c), and banned / consent
// (yes or no: a yes records a ban / consent with opts.Source and opts.Actor unless the contact
// already has one; a no changes nothing). Any other column becomes a string attribute under its
// normalised name.
//
// Upsert: a non-empty cell overwrites the stored value, an empty cell or an absent column keeps
// it, attributes are merged. When an email occurs again in the file, its rows apply in order (the
// later non-empty values win) and each counts. The same holds for a company named on several
// rows: a website or location given on one of them is not lost to a later row that leaves it
// empty. Rows whose cells are all blank are skipped uncounted.
//
// Bad rows are skipped and reported with their line and reason: an invalid email, kind or
// yes/no, an invalid Y-tunnus for a Finnish company (country FI, or no country and a
// Finnish-looking ID), a company website containing whitespace, a wrong number of fields,
// broken quoting, control characters or text that is not UTF-8. A header without an email
// column (or naming a column twice) is ErrInvalid before
// anything is written. If a chunk cannot be written (database down, ctx cancelled), Import stops
// and returns the counts so far with the error: earlier chunks stay committed, and importing the
// same file again is safe.
func (im *Importer) Import(ctx context.Context, r io.Reader, opts ImportOptions) (ImportResult, error) {
	start := time.Now()
	rr, err := newRowReader(r)
	if err != nil {
		return ImportResult{}, fmt.Errorf("register: import: %w", err)
	}
	if opts.Source == "" {
		opts.Source = "import"
	}
	if opts.Actor == "" {
		opts.Actor = "system"
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	res := ImportResult{Encoding: rr.encoding}
	ch := newChunk(opts.ChunkSize)
	read := 0
	for {
		p, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("register: import: after %d rows: %w", read, err)
		}
		read++
		if read%DefaultChunkSize == 0 && ctx.Err() != nil {
			// A long run of rejected rows reaches no database call that would notice.
			return res, fmt.Errorf("register: import: after %d rows: %w", read, ctx.Err())
		}
		if p.reason != "" {
			res.reject(p)
			continue
		}
		ch.add(p)
		if len(ch.rows) >= opts.ChunkSize {
			if err := im.flush(ctx, ch, &res, opts, read); err != nil {
				return res, err
			}
		}
	}
	if err := im.flush(ctx, ch, &res, opts, read); err != nil {
		return res, err
	}
	im.logger.InfoContext(ctx, "contacts imported", "rows", read, "imported", res.Imported,
		"updated", res.Updated, "rejected", res.Rejected, "encoding", res.Encoding,
		"duration", time.Since(start))
	return res, nil
}

// flush writes the chunk in one transaction and counts the outcome.
func (im *Importer) flush(ctx context.Context, ch *chunk, res *ImportResult, opts ImportOptions, read int) error {
	if len(ch.rows) == 0 {
		return nil
	}
	var results []upsertResult
	err := pg.InTx(ctx, im.db, func(tx pgx.Tx) error {
		var err error
		if results, err = upsertContacts(ctx, tx, ch.rows, ch.companies); err != nil {
			return err
		}
		return recordImportPermissions(ctx, tx, ch, opts)
	})
	if err != nil {
		return fmt.Errorf("register: import: rows up to line %d: %w", ch.lines[len(ch.lines)-1], err)
	}
	for _, r := range results {
		if r.Inserted {
			res.Imported++
		} else {
			res.Updated++
		}
	}
	res.Updated += ch.merged
	ch.reset()
	if opts.Progress != nil {
		opts.Progress(read)
	}
	return nil
}
