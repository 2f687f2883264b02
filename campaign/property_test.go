package campaign_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
)

// randomFilter builds a filter of random shape from every field and operator with values of
// every JSON type, most of them valid, some not.
func randomFilter(r *rand.Rand, depth int) any {
	if depth < 3 && r.IntN(3) == 0 {
		switch r.IntN(3) {
		case 0:
			return map[string]any{"not": randomFilter(r, depth+1)}
		default:
			key := []string{"all", "any"}[r.IntN(2)]
			kids := make([]any, r.IntN(4))
			for i := range kids {
				kids[i] = randomFilter(r, depth+1)
			}
			return map[string]any{key: kids}
		}
	}
	fields := append(campaign.FieldNames(), "attributes.n", "attributes.x", "attributes.missing")
	ops := []string{"eq", "neq", "in", "contains", "prefix", "exists", "gt", "lt"}
	return map[string]any{"field": fields[r.IntN(len(fields))], "op": ops[r.IntN(len(ops))], "value": randomValue(r, true)}
}

func randomValue(r *rand.Rand, nest bool) any {
	values := []any{"FI", "purchas", "%", "_", `\`, "", "ÅÄÖ", "2026-01-02T03:04:05Z", "b2c", "1e99999", " 12 ",
		0, -1, 30, 1.5, 1e300, -1e-300, true, false, nil}
	if nest && r.IntN(4) == 0 {
		arr := make([]any, r.IntN(4))
		for i := range arr {
			arr[i] = randomValue(r, false)
		}
		return arr
	}
	return values[r.IntN(len(values))]
}

func TestRandomValidFiltersRunWithoutError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fuzzFixture(t, b)
	r := rand.New(rand.NewPCG(1, 2))

	accepted := 0
	for range 3000 {
		js, err := json.Marshal(randomFilter(r, 0))
		require.NoError(t, err)
		f, err := campaign.ParseFilter(js)
		if err != nil {
			require.ErrorIs(t, err, campaign.ErrInvalidFilter)
			continue
		}
		accepted++
		args := &campaign.Args{}
		where, err := f.Where(args)
		require.NoError(t, err)
		require.False(t, strings.Contains(where, "purchas"), "values are parameters, never SQL text: %s", where)
		var matching, negated int64
		err = b.pool.QueryRow(b.ctx, `SELECT count(*) FILTER (WHERE `+where+`), count(*) FILTER (WHERE NOT (`+where+`))
			FROM contacts c LEFT JOIN companies co ON co.id = c.company_id`, args.Values()...).Scan(&matching, &negated)
		require.NoError(t, err, "%s compiled to %s", js, where)
		require.EqualValues(t, 17, matching+negated, "a filter and its negation split everyone (no NULLs): %s", js)
	}
	t.Logf("accepted %d of 3000 random filters", accepted)
	assert.Greater(t, accepted, 500, "the generator must exercise valid filters")
}
