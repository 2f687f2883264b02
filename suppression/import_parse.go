package suppression

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kirje/kirje/internal/spreadsheet"
)

// csvRows reads an import file: a header row naming at least one of email, domain and sha256
// (case-insensitive; brand_id, reason and source are optional per-row overrides of the options;
// other columns are ignored), then one entry per row.
type csvRows struct {
	r    *csv.Reader
	col  map[string]int
	opts ImportOptions
}

var importColumns = []string{"email", "domain", "sha256", "brand_id", "reason", "source"}

func newCSVRows(r io.Reader, opts ImportOptions) (*csvRows, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrInvalid, err)
	}
	c := &csvRows{r: cr, col: map[string]int{}, opts: opts}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // a byte-order mark from spreadsheets
		}
		if _, dup := c.col[name]; !dup {
			c.col[name] = i
		}
	}
	if c.has("email") || c.has("domain") || c.has("sha256") {
		return c, nil
	}
	return nil, fmt.Errorf("%w: header needs an email, domain or sha256 column", ErrInvalid)
}

func (c *csvRows) has(name string) bool { _, ok := c.col[name]; return ok }

// next returns the next row and its line. A bad row gives rowErr (the caller reports it and goes
// on); err is io.EOF at the end, or a read error.
func (c *csvRows) next() (r row, line int, rowErr, err error) {
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return row{}, 0, nil, io.EOF
	}
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return row{}, perr.StartLine, fmt.Errorf("%w: %v", ErrInvalid, perr.Err), nil
	}
	if err != nil {
		return row{}, 0, nil, err
	}
	line, _ = c.r.FieldPos(0)
	r, rowErr = c.parse(rec)
	return r, line, rowErr, nil
}

func (c *csvRows) parse(rec []string) (row, error) {
	get := func(name string) string {
		if i, ok := c.col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	// Email and source come back as Export defused them for spreadsheets.
	in := Input{Address: spreadsheet.Restore(get("email")), Domain: get("domain"), BrandID: c.opts.BrandID,
		Reason: c.opts.Reason, Source: c.opts.Source, Actor: c.opts.Actor, HashOnly: c.opts.HashOnly}
	if s := get("sha256"); s != "" {
		if in.Domain != "" {
			return row{}, fmt.Errorf("%w: a row is an address or a domain, not both", ErrInvalid)
		}
		h, err := ParseHash(s)
		if err != nil {
			return row{}, err
		}
		if in.Address == "" {
			in.AddressHash = h
		} else if n, err := Normalize(in.Address); err == nil && !bytes.Equal(hashSlice(n), h) {
			return row{}, fmt.Errorf("%w: sha256 does not match email", ErrInvalid)
		}
	}
	if s := get("brand_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return row{}, fmt.Errorf("%w: brand_id %q", ErrInvalid, s)
		}
		in.BrandID = id
	}
	if s := get("reason"); s != "" {
		in.Reason = Reason(strings.ToLower(s))
	}
	if s := get("source"); s != "" {
		in.Source = spreadsheet.Restore(s)
	}
	if in.Address == "" && in.Domain == "" && in.AddressHash == nil {
		return row{}, fmt.Errorf("%w: no email, domain or sha256", ErrInvalid)
	}
	return prepare(in)
}

func hashSlice(normalized string) []byte {
	h := Hash(normalized)
	return h[:]
}
