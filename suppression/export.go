package suppression

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/kirje/kirje/internal/spreadsheet"
)

// exportHeader are Export's columns. Import reads email, domain, sha256, brand_id, reason and
// source back, so an export imports into another installation unchanged.
var exportHeader = []string{"id", "email", "domain", "sha256", "brand_id", "reason", "source", "actor", "created_at"}

const exportSQL = `SELECT ` + entryColumns + ` FROM suppressions ORDER BY id`

// Export writes every entry to w as CSV with a header row, streaming from one snapshot of the
// table, and returns how many entries it wrote. sha256 is the hex hash, always present for
// address entries; email is empty where only the hash is kept.
func (l *List) Export(ctx context.Context, w io.Writer) (int64, error) {
	rows, err := l.pool.Query(ctx, exportSQL)
	if err != nil {
		return 0, fmt.Errorf("suppression: export: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(exportHeader); err != nil {
		return 0, fmt.Errorf("suppression: export: %w", err)
	}
	var n int64
	rec := make([]string, len(exportHeader))
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return n, fmt.Errorf("suppression: export: %w", err)
		}
		// An address's local part may start like a formula (-, +, =); source and actor are
		// free text. A spreadsheet must run none of them; Import restores the email and source.
		rec[0], rec[1], rec[2] = strconv.FormatInt(e.ID, 10), spreadsheet.Defuse(e.Address), e.Domain
		rec[3], rec[4] = hex.EncodeToString(e.AddressHash), ""
		if e.BrandID != 0 {
			rec[4] = strconv.FormatInt(e.BrandID, 10)
		}
		rec[5], rec[6], rec[7] = string(e.Reason), spreadsheet.Defuse(e.Source), spreadsheet.Defuse(e.Actor)
		rec[8] = e.CreatedAt.UTC().Format(time.RFC3339)
		if err := cw.Write(rec); err != nil {
			return n, fmt.Errorf("suppression: export: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("suppression: export: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("suppression: export: %w", err)
	}
	return n, nil
}
