package campaign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Args collects a statement's parameters while it is built: Add returns the placeholder ($n) of
// the value it appends. Pre-fill it with the statement's own parameters before calling Where.
type Args struct {
	values []any
}

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	a.values = append(a.values, v)
	return "$" + strconv.Itoa(len(a.values))
}

// Values returns the parameters in placeholder order.
func (a *Args) Values() []any { return a.values }

// Where compiles f into a boolean SQL expression over `contacts c LEFT JOIN companies co ON co.id
// = c.company_id`, appending its values to args: values are only ever parameters, never part of
// the SQL text. The expression never evaluates to NULL, so NOT behaves as people expect. It
// returns an error wrapping ErrInvalidFilter (a *FilterError) when f is not a valid filter.
func (f Filter) Where(args *Args) (string, error) {
	c := compiler{args: args}
	return c.node(f, "", 0)
}

type compiler struct {
	args   *Args
	leaves int
}

func (c *compiler) node(f Filter, path string, depth int) (string, error) {
	kinds := 0
	for _, set := range []bool{f.All != nil, f.Any != nil, f.Not != nil, f.Field != "" || f.Op != "" || f.Value != nil} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		return "", filterErr(path, "a node is one of all, any, not or a field condition, not several")
	case f.All != nil:
		return c.group(f.All, join(path, "all"), depth+1, " AND ")
	case f.Any != nil:
		if len(f.Any) == 0 {
			return "", filterErr(join(path, "any"), "needs at least one filter")
		}
		return c.group(f.Any, join(path, "any"), depth+1, " OR ")
	case f.Not != nil:
		if depth+1 > MaxDepth {
			return "", filterErr(join(path, "not"), "nested deeper than %d", MaxDepth)
		}
		inner, err := c.node(*f.Not, join(path, "not"), depth+1)
		if err != nil {
			return "", err
		}
		return "NOT (" + inner + ")", nil
	case kinds == 0:
		return "TRUE", nil
	}
	c.leaves++
	if c.leaves > MaxLeaves {
		return "", filterErr(path, "more than %d field conditions", MaxLeaves)
	}
	return c.leaf(f, path)
}

func (c *compiler) group(fs []Filter, path string, depth int, sep string) (string, error) {
	if depth > MaxDepth {
		return "", filterErr(path, "nested deeper than %d", MaxDepth)
	}
	if len(fs) == 0 {
		return "TRUE", nil
	}
	parts := make([]string, 0, len(fs))
	for i, child := range fs {
		p, err := c.node(child, fmt.Sprintf("%s[%d]", path, i), depth)
		if err != nil {
			return "", err
		}
		parts = append(parts, p)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "(" + strings.Join(parts, sep) + ")", nil
}

func (c *compiler) leaf(f Filter, path string) (string, error) {
	if f.Field == "" {
		return "", filterErr(join(path, "field"), "missing")
	}
	fd, key, ok := lookupField(f.Field)
	if !ok {
		return "", filterErr(join(path, "field"), "unknown field %q", f.Field)
	}
	if !slices.Contains(opsFor(fd.typ), f.Op) {
		return "", filterErr(join(path, "op"), "unknown operator %q for field %q (want one of %s)",
			f.Op, f.Field, opList(opsFor(fd.typ)))
	}
	v, err := decodeValue(f.Value)
	if err != nil {
		return "", filterErr(join(path, "value"), "%v", err)
	}
	var sql string
	switch fd.typ {
	case typeText:
		sql, err = c.text(fd, f.Op, v)
	case typeTime:
		sql, err = c.time(fd, f.Op, v)
	case typeAttribute:
		sql, err = c.attribute(key, f.Op, v)
	case typeEngagementTime:
		sql, err = c.engagementTime(fd, f.Op, v)
	case typeEngagementCount, typeEngagementScore:
		sql, err = c.engagementNumber(fd, f.Op, v)
	}
	if err != nil {
		return "", filterErr(join(path, "value"), "%v", err)
	}
	return sql, nil
}

func decodeValue(raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("missing")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if d.More() {
		return nil, fmt.Errorf("invalid JSON: more than one value")
	}
	return v, nil
}

func opList(ops []Op) string {
	s := make([]string, len(ops))
	for i, op := range ops {
		s[i] = string(op)
	}
	return strings.Join(s, ", ")
}
