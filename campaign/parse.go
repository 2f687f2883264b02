package campaign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ParseFilter decodes a filter from JSON and validates it completely (structure, limits, fields,
// operators and value types), so that a filter it accepts always compiles. Errors wrap
// ErrInvalidFilter and name the path of the offending part, e.g. `all[2].field: unknown field
// "titel"`.
func ParseFilter(data []byte) (Filter, error) {
	if len(data) > MaxFilterBytes {
		return Filter{}, filterErr("", "larger than %d bytes", MaxFilterBytes)
	}
	p := parser{}
	f, err := p.node(json.RawMessage(data), "", 0)
	if err != nil {
		return Filter{}, err
	}
	if _, err := f.Where(&Args{}); err != nil {
		return Filter{}, err
	}
	return f, nil
}

// parser walks the JSON one node at a time so that errors carry a path and nesting is bounded
// before it is followed.
type parser struct {
	leaves int
}

var filterKeys = []string{"all", "any", "not", "field", "op", "value"}

func (p *parser) node(raw json.RawMessage, path string, depth int) (Filter, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return Filter{}, filterErr(path, "must be a JSON object")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return Filter{}, filterErr(path, "invalid JSON: %v", err)
	}
	for k := range obj {
		if !slices.Contains(filterKeys, k) {
			return Filter{}, filterErr(join(path, k), "unknown key (want one of %s)", strings.Join(filterKeys, ", "))
		}
	}
	var f Filter
	var err error
	switch {
	case obj["all"] != nil:
		f.All, err = p.list(obj["all"], join(path, "all"), depth+1)
	case obj["any"] != nil:
		f.Any, err = p.list(obj["any"], join(path, "any"), depth+1)
	case obj["not"] != nil:
		if depth+1 > MaxDepth {
			return Filter{}, filterErr(join(path, "not"), "nested deeper than %d", MaxDepth)
		}
		var child Filter
		child, err = p.node(obj["not"], join(path, "not"), depth+1)
		f.Not = &child
	default:
		f, err = p.leaf(obj, path)
	}
	if err != nil {
		return Filter{}, err
	}
	if mixed := len(obj); mixed > 1 && f.Field == "" {
		return Filter{}, filterErr(path, "a node is one of all, any, not or a field condition, not several")
	}
	return f, nil
}

func (p *parser) list(raw json.RawMessage, path string, depth int) ([]Filter, error) {
	if depth > MaxDepth {
		return nil, filterErr(path, "nested deeper than %d", MaxDepth)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, filterErr(path, "must be an array of filters")
	}
	out := make([]Filter, 0, len(items))
	for i, item := range items {
		f, err := p.node(item, fmt.Sprintf("%s[%d]", path, i), depth)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (p *parser) leaf(obj map[string]json.RawMessage, path string) (Filter, error) {
	if len(obj) == 0 {
		return Filter{}, nil // {} matches everyone
	}
	p.leaves++
	if p.leaves > MaxLeaves {
		return Filter{}, filterErr(path, "more than %d field conditions", MaxLeaves)
	}
	var f Filter
	for _, k := range []string{"field", "op"} {
		var s string
		if err := json.Unmarshal(obj[k], &s); err != nil || s == "" {
			return Filter{}, filterErr(join(path, k), "must be a non-empty string")
		}
		if k == "field" {
			f.Field = s
		} else {
			f.Op = Op(s)
		}
	}
	if v := bytes.TrimSpace(obj["value"]); len(v) > 0 {
		f.Value = slices.Clone(v)
	}
	return f, nil
}

// join appends a key to a path: join("all[2]", "field") is "all[2].field".
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
