package campaign

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// text compiles a leaf over a text column (never NULL, see fields.go).
func (c *compiler) text(fd field, op Op, v any) (string, error) {
	e := fd.expr
	switch op {
	case OpExists:
		b, ok := v.(bool)
		if !ok {
			return "", errors.New("must be true or false")
		}
		if b {
			return e + " <> ''", nil
		}
		return e + " = ''", nil
	case OpIn:
		ss, err := stringList(v)
		if err != nil {
			return "", err
		}
		for i := range ss {
			if ss[i], err = fd.normalize(ss[i]); err != nil {
				return "", err
			}
		}
		return e + " = ANY(" + c.args.Add(ss) + "::text[])", nil
	}
	s, err := textValue(v)
	if err != nil {
		return "", err
	}
	switch op {
	case OpEq, OpNeq:
		if s, err = fd.normalize(s); err != nil {
			return "", err
		}
		return e + comparison(op) + c.args.Add(s) + "::text", nil
	case OpContains, OpPrefix:
		return c.like(e, op, s)
	default: // OpGt, OpLt
		return e + comparison(op) + c.args.Add(s) + "::text", nil
	}
}

// comparison is the SQL operator of eq, neq, gt and lt.
func comparison(op Op) string {
	switch op {
	case OpEq:
		return " = "
	case OpNeq:
		return " <> "
	case OpGt:
		return " > "
	case OpLt:
		return " < "
	}
	panic("campaign: comparison of " + string(op))
}

// like compiles contains and prefix as ILIKE with the value's own wildcards escaped, so "50%"
// means the characters 5, 0 and %.
func (c *compiler) like(e string, op Op, s string) (string, error) {
	if s == "" {
		return "", errors.New("must not be empty")
	}
	pattern := escapeLike(s) + "%"
	if op == OpContains {
		pattern = "%" + pattern
	}
	return e + " ILIKE " + c.args.Add(pattern) + "::text", nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// time compiles a leaf over a timestamptz column.
func (c *compiler) time(fd field, op Op, v any) (string, error) {
	t, err := c.timeValue(v)
	if err != nil {
		return "", err
	}
	return fd.expr + comparison(op) + t, nil
}

// normalize checks a value against the field's allowed values and lower-cases it where the
// column is stored lower-case.
func (fd field) normalize(s string) (string, error) {
	if fd.lower {
		s = strings.ToLower(s)
	}
	if fd.enum != nil && !slices.Contains(fd.enum, s) {
		return "", fmt.Errorf("%q is not one of %s", s, strings.Join(fd.enum, ", "))
	}
	return s, nil
}

// textValue accepts a string, or a number as the text it was written as (customer numbers).
func textValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, checkText(v)
	case json.Number:
		return v.String(), nil
	}
	return "", errors.New("must be a string")
}

// checkText refuses what PostgreSQL's text cannot hold, so that an accepted filter never fails
// when it runs.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("must be valid UTF-8")
	}
	if strings.ContainsRune(s, 0) {
		return errors.New("must not contain NUL characters")
	}
	return nil
}

func stringList(v any) ([]string, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, errors.New("must be an array")
	}
	if len(items) > MaxInValues {
		return nil, fmt.Errorf("more than %d values", MaxInValues)
	}
	out := make([]string, len(items))
	for i, item := range items {
		s, err := textValue(item)
		if err != nil {
			return nil, fmt.Errorf("[%d] %w", i, err)
		}
		out[i] = s
	}
	return out, nil
}

// maxNumberLen bounds the digits of a number value.
const maxNumberLen = 64

// number validates a JSON number and returns it as PostgreSQL numeric input text. Numbers beyond
// float64's range or with many digits are refused, which keeps them far inside numeric's.
func number(n json.Number) (string, error) {
	if len(n) > maxNumberLen {
		return "", fmt.Errorf("number longer than %d characters", maxNumberLen)
	}
	if _, err := strconv.ParseFloat(n.String(), 64); err != nil {
		return "", fmt.Errorf("number %s out of range", n)
	}
	return n.String(), nil
}
