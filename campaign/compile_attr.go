package campaign

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// numericText matches the text forms PostgreSQL's numeric input accepts that we are willing to
// compare as numbers. With the length bound it also keeps the cast inside numeric's range, so
// casting never fails: a filter must not error because one contact's attribute is "n/a".
const numericText = `^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,4})?\s*$`

// attribute compiles a leaf over contacts.attributes ->> key. The key is a parameter like any
// value. A missing key reads as "", so neq and NOT match contacts without it. A JSON number as the
// value compares numerically with attributes that are numbers or numeric strings (CSV imports
// store text); any other value compares as text.
func (c *compiler) attribute(key string, op Op, v any) (string, error) {
	if err := checkText(key); err != nil {
		return "", fmt.Errorf("attribute key %w", err)
	}
	k := c.args.Add(key) + "::text"
	text := "coalesce(c.attributes ->> " + k + ", '')"
	switch op {
	case OpExists:
		b, ok := v.(bool)
		if !ok {
			return "", errors.New("must be true or false")
		}
		if b {
			return text + " <> ''", nil
		}
		return text + " = ''", nil
	case OpIn:
		return c.attributeIn(k, text, v)
	case OpContains, OpPrefix:
		s, err := textValue(v)
		if err != nil {
			return "", err
		}
		return c.like(text, op, s)
	case OpNeq:
		eq, err := c.attributeCompare(k, text, OpEq, v)
		if err != nil {
			return "", err
		}
		return "NOT " + eq, nil
	}
	return c.attributeCompare(k, text, op, v)
}

// attributeCompare compiles eq, gt and lt: numerically for a number, as text otherwise. The result is
// parenthesised or atomic, so NOT can prefix it.
func (c *compiler) attributeCompare(k, text string, op Op, v any) (string, error) {
	switch v := v.(type) {
	case json.Number:
		n, err := number(v)
		if err != nil {
			return "", err
		}
		return "coalesce(" + numericAttribute(k) + comparison(op) + c.args.Add(n) + "::numeric, false)", nil
	case string:
		if err := checkText(v); err != nil {
			return "", err
		}
		return "(" + text + comparison(op) + c.args.Add(v) + "::text)", nil
	case bool:
		if op != OpEq {
			return "", errors.New("must be a number or a string")
		}
		return "(" + text + " = " + c.args.Add(strconv.FormatBool(v)) + "::text)", nil
	}
	return "", errors.New("must be a string, a number or a boolean")
}

// attributeIn compiles "in" over an array of strings (text) or of numbers (numeric).
func (c *compiler) attributeIn(k, text string, v any) (string, error) {
	items, ok := v.([]any)
	if !ok {
		return "", errors.New("must be an array")
	}
	if len(items) > MaxInValues {
		return "", fmt.Errorf("more than %d values", MaxInValues)
	}
	if len(items) > 0 {
		if _, isNum := items[0].(json.Number); isNum {
			nums := make([]string, len(items))
			for i, item := range items {
				n, ok := item.(json.Number)
				if !ok {
					return "", fmt.Errorf("[%d] must be a number like the first value", i)
				}
				var err error
				if nums[i], err = number(n); err != nil {
					return "", fmt.Errorf("[%d] %w", i, err)
				}
			}
			return "coalesce(" + numericAttribute(k) + " = ANY(" + c.args.Add(nums) + "::numeric[]), false)", nil
		}
	}
	ss, err := stringList(v)
	if err != nil {
		return "", err
	}
	return text + " = ANY(" + c.args.Add(ss) + "::text[])", nil
}

// numericAttribute is the attribute as numeric, or NULL when it is neither a JSON number nor a
// numeric string. CASE guarantees the cast only runs on values that pass the checks (AND would
// not: PostgreSQL may evaluate its operands in any order).
func numericAttribute(k string) string {
	v := "(c.attributes ->> " + k + ")"
	return "CASE WHEN jsonb_typeof(c.attributes -> " + k + ") = 'number' THEN " + v + "::numeric" +
		" WHEN length(" + v + ") <= 100 AND " + v + " ~ '" + numericText + "' THEN " + v + "::numeric END"
}
