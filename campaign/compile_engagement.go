package campaign

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Engagement leaves are (NOT) EXISTS over the contact's rollup row, never a join, so field
// expressions keep to c and co, the expression is never NULL, and the planner can run a leaf
// over a whole register as one semi- or anti-join. A contact without a rollup row has never
// been sent to, opened or clicked: its times are missing and its counts and score are 0.
const engagementRow = `SELECT 1 FROM contact_engagement ce WHERE ce.contact_id = c.id AND `

// engagementTime compiles gt, lt and exists over a nullable time. gt and lt never match a
// contact for whom it never happened ("opened before X" excludes those who never opened; say
// so with exists false).
func (c *compiler) engagementTime(fd field, op Op, v any) (string, error) {
	if op == OpExists {
		b, ok := v.(bool)
		if !ok {
			return "", errors.New("must be true or false")
		}
		if b {
			return "EXISTS (" + engagementRow + fd.expr + " IS NOT NULL)", nil
		}
		return "NOT EXISTS (" + engagementRow + fd.expr + " IS NOT NULL)", nil
	}
	t, err := c.timeValue(v)
	if err != nil {
		return "", err
	}
	return "EXISTS (" + engagementRow + fd.expr + comparison(op) + t + ")", nil
}

// engagementNumber compiles a comparison with a count or the score. Whether a contact without a
// rollup row (value 0) matches is known here, so the leaf is either "a row exists and matches"
// or "no row exists that fails".
func (c *compiler) engagementNumber(fd field, op Op, v any) (string, error) {
	n, ok := v.(json.Number)
	if !ok {
		return "", errors.New("must be a number")
	}
	s, err := number(n)
	if err != nil {
		return "", err
	}
	f, _ := strconv.ParseFloat(s, 64)
	cond := fd.expr + comparison(op) + c.args.Add(s) + "::numeric"
	if zeroMatches(op, f) {
		return "NOT EXISTS (" + engagementRow + "NOT (" + cond + "))", nil
	}
	return "EXISTS (" + engagementRow + cond + ")", nil
}

func zeroMatches(op Op, n float64) bool {
	switch op {
	case OpEq:
		return n == 0
	case OpNeq:
		return n != 0
	case OpGt:
		return 0 > n
	default: // OpLt
		return 0 < n
	}
}

// relativeTime is a time relative to now: "-90d" is ninety days ago. Units: m(inutes), h(ours),
// d(ays), w(eeks). Only the past: segments ask what happened, not what will.
var relativeTime = regexp.MustCompile(`^-([0-9]{1,6})([mhdw])$`)

// maxRelative bounds relative times (a century), keeping the interval arithmetic in range.
const maxRelative = 100 * 365 * 24 * time.Hour

// timeValue compiles a time value: an RFC 3339 string becomes a timestamptz parameter; a
// relative one ("-90d") becomes now() minus a parameter in seconds, so a stored segment means
// "the last 90 days" whenever it runs.
func (c *compiler) timeValue(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errors.New("must be an RFC 3339 time or a relative time like \"-90d\"")
	}
	if m := relativeTime.FindStringSubmatch(s); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		if time.Duration(n) > maxRelative/unit {
			return "", fmt.Errorf("relative time %q is more than a century", s)
		}
		return "(now() - " + c.args.Add(n*int64(unit/time.Second)) + "::bigint * interval '1 second')", nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", fmt.Errorf("must be an RFC 3339 time or a relative time like \"-90d\": %q", s)
	}
	return c.args.Add(t) + "::timestamptz", nil
}
