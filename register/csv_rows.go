package register

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// csvField maps a normalised header name to the contact field it fills. Any other column
// becomes an attribute under its normalised header name.
func csvField(h string) (string, bool) {
	switch h {
	case "email", "e_mail", "email_address":
		return "email", true
	case "title", "job_title":
		return "job_title", true
	case "company", "company_name":
		return "company", true
	case "company_website", "company_location":
		// Not "website" and "location": files that had those columns kept them as the
		// contact's attributes, and still do.
		return h, true
	case "first_name", "last_name", "academic_title", "segment", "country", "phone",
		"postal_address", "business_id", "customer_number", "lead_id", "kind", "banned", "consent":
		return h, true
	}
	return "", false
}

// normalizeHeader: trimmed, lower-case, spaces and hyphens as underscores ("First Name" →
// "first_name").
func normalizeHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(h)
}

// column is what one CSV column holds: a contact field, or else the attribute key.
type column struct {
	field, attr string
}

// rowReader turns a contact CSV into validated rows, one record at a time.
type rowReader struct {
	csv      *csv.Reader
	cols     []column // by field index; the zero column is ignored (empty header)
	encoding string
}

// parsedRow is one data record: a valid row, or the reason it was rejected.
type parsedRow struct {
	line   int    // 1-based line where the record starts; the header is line 1
	email  string // as written, for error reports
	row    contactRow
	reason string // non-empty when rejected
}

// newRowReader reads r's header. A header without an email column, or naming a column twice,
// is an error, as is an unreadable header.
func newRowReader(r io.Reader) (*rowReader, error) {
	r, enc, err := decode(r)
	if err != nil {
		return nil, err
	}
	header, r, err := readHeaderLine(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.Comma = detectDelimiter(header)
	cr.FieldsPerRecord = -1 // a wrong count rejects the row, not the file
	names, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, invalid("csv", "empty file: want a header line naming the columns")
	}
	if err != nil {
		return nil, invalid("csv", "header: %v", err)
	}
	cols, err := mapColumns(names)
	if err != nil {
		return nil, err
	}
	cr.ReuseRecord = true
	return &rowReader{csv: cr, cols: cols, encoding: enc}, nil
}

func mapColumns(names []string) ([]column, error) {
	cols := make([]column, len(names))
	seen := map[string]bool{}
	for i, name := range names {
		h := normalizeHeader(name)
		if h == "" {
			continue
		}
		if !utf8.ValidString(h) || strings.ContainsRune(h, 0) {
			return nil, invalid("csv", "header column %d is not valid text", i+1)
		}
		if field, ok := csvField(h); ok {
			cols[i].field = field
		} else {
			cols[i].attr = h
		}
		key := cols[i].field + "/" + cols[i].attr
		if seen[key] {
			return nil, invalid("csv", "header names %q twice", strings.Trim(key, "/"))
		}
		seen[key] = true
	}
	if !seen["email/"] {
		return nil, invalid("csv", "header has no email column")
	}
	return cols, nil
}

// next returns the next data record, skipping blank ones. It returns io.EOF at the end, and
// another error only when the input cannot be read; bad records come back with a reason.
func (rr *rowReader) next() (parsedRow, error) {
	for {
		rec, err := rr.csv.Read()
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			return parsedRow{line: pe.StartLine, reason: "malformed CSV: " + pe.Err.Error()}, nil
		case err != nil:
			return parsedRow{}, err
		}
		if blank(rec) {
			continue
		}
		line, _ := rr.csv.FieldPos(0)
		p := rr.parse(rec)
		p.line = line
		return p, nil
	}
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
