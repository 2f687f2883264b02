package campaign

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrInvalidFilter is wrapped by every error that rejects a segment filter. The concrete error is
// a *FilterError naming where in the filter the problem is.
var ErrInvalidFilter = errors.New("invalid segment filter")

// Limits on a filter, so that a filter from the API cannot make an unbounded statement.
const (
	MaxFilterBytes = 1 << 20 // size of the JSON ParseFilter accepts
	MaxDepth       = 10      // all/any/not groups nested deeper than this are refused
	MaxLeaves      = 200     // field conditions in one filter
	MaxInValues    = 10000   // values in one "in" list
)

// Op is a leaf's comparison.
type Op string

// Operators. Which ones a field accepts depends on its type (see the field table in fields.go).
const (
	OpEq       Op = "eq"       // equal
	OpNeq      Op = "neq"      // not equal (a missing value is "", so it matches)
	OpIn       Op = "in"       // equal to one of an array of values
	OpContains Op = "contains" // case-insensitive substring
	OpPrefix   Op = "prefix"   // case-insensitive prefix
	OpExists   Op = "exists"   // value true: present and non-empty; false: missing or empty
	OpGt       Op = "gt"       // greater than (numbers, RFC 3339 times or strings, per field type)
	OpLt       Op = "lt"       // less than
)

// Filter is a segment: which contacts a campaign goes to. A node is exactly one of a group (All,
// Any, Not) or a leaf (Field, Op, Value); the zero Filter (JSON {}) and an empty All match
// everyone. Filters are plain data and round-trip through JSON; ParseFilter and Where validate.
type Filter struct {
	All   []Filter        `json:"all,omitempty"`
	Any   []Filter        `json:"any,omitempty"`
	Not   *Filter         `json:"not,omitempty"`
	Field string          `json:"field,omitempty"`
	Op    Op              `json:"op,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// FilterError says what is wrong with a filter and where: Path is like "all[2].field" ("" for the
// filter itself). It unwraps to ErrInvalidFilter.
type FilterError struct {
	Path string
	Msg  string
}

func (e *FilterError) Error() string {
	if e.Path == "" {
		return ErrInvalidFilter.Error() + ": " + e.Msg
	}
	return ErrInvalidFilter.Error() + ": " + e.Path + ": " + e.Msg
}

// Unwrap makes errors.Is(err, ErrInvalidFilter) hold.
func (e *FilterError) Unwrap() error { return ErrInvalidFilter }

func filterErr(path, format string, args ...any) error {
	return &FilterError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Match returns the leaf "field op value". A value that does not marshal to JSON leaves Value
// empty, which Where then refuses.
func Match(field string, op Op, value any) Filter {
	b, err := json.Marshal(value)
	if err != nil {
		b = nil
	}
	return Filter{Field: field, Op: op, Value: b}
}

// All returns a filter matching contacts every one of fs matches (everyone when fs is empty).
func All(fs ...Filter) Filter {
	if fs == nil {
		fs = []Filter{}
	}
	return Filter{All: fs}
}

// AnyOf returns a filter matching contacts at least one of fs matches.
func AnyOf(fs ...Filter) Filter {
	if fs == nil {
		fs = []Filter{}
	}
	return Filter{Any: fs}
}

// Not returns a filter matching the contacts f does not match.
func Not(f Filter) Filter { return Filter{Not: &f} }

// IsEmpty reports whether f matches everyone without condition ({} or an empty "all").
func (f Filter) IsEmpty() bool {
	return len(f.All) == 0 && f.Any == nil && f.Not == nil && f.Field == "" && f.Op == "" && f.Value == nil
}
