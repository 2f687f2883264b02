package campaign_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
)

const numAttr = `CASE WHEN jsonb_typeof(c.attributes -> $1::text) = 'number' THEN (c.attributes ->> $1::text)::numeric` +
	` WHEN length((c.attributes ->> $1::text)) <= 100 AND (c.attributes ->> $1::text) ~ '^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,4})?\s*$'` +
	` THEN (c.attributes ->> $1::text)::numeric END`

func TestWhereCompiles(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name     string
		filter   string
		wantSQL  string
		wantArgs []any
	}{
		{"empty object", `{}`, `TRUE`, nil},
		{"empty all", `{"all": []}`, `TRUE`, nil},
		{"eq", `{"field": "country", "op": "eq", "value": "FI"}`, `c.country = $1::text`, []any{"FI"}},
		{"neq", `{"field": "segment", "op": "neq", "value": "retail"}`, `c.segment <> $1::text`, []any{"retail"}},
		{"title alias contains with wildcards escaped", `{"field": "title", "op": "contains", "value": "50%_a\\b"}`,
			`c.job_title ILIKE $1::text`, []any{`%50\%\_a\\b%`}},
		{"prefix", `{"field": "last_name", "op": "prefix", "value": "Vir"}`, `c.last_name ILIKE $1::text`, []any{"Vir%"}},
		{"in", `{"field": "country", "op": "in", "value": ["FI", "SE"]}`, `c.country = ANY($1::text[])`, []any{[]string{"FI", "SE"}}},
		{"email eq is lower-cased", `{"field": "email", "op": "eq", "value": "A@B.FI"}`, `c.email = $1::text`, []any{"a@b.fi"}},
		{"number on a text field is its text", `{"field": "customer_number", "op": "eq", "value": 1001}`,
			`c.customer_number = $1::text`, []any{"1001"}},
		{"exists true", `{"field": "phone", "op": "exists", "value": true}`, `c.phone <> ''`, nil},
		{"exists false", `{"field": "phone", "op": "exists", "value": false}`, `c.phone = ''`, nil},
		{"postal address", `{"field": "postal_address", "op": "contains", "value": "Tampere"}`,
			`c.postal_address ILIKE $1::text`, []any{"%Tampere%"}},
		{"text gt", `{"field": "last_name", "op": "gt", "value": "M"}`, `c.last_name > $1::text`, []any{"M"}},
		{"time lt", `{"field": "created_at", "op": "lt", "value": "2026-01-02T05:04:05+02:00"}`,
			`c.created_at < $1::timestamptz`, []any{at.In(time.FixedZone("", 2*3600))}},
		{"company field is coalesced", `{"field": "company.name", "op": "eq", "value": "Acme"}`,
			`coalesce(co.name, '') = $1::text`, []any{"Acme"}},
		{"attribute eq string", `{"field": "attributes.industry", "op": "eq", "value": "retail"}`,
			`(coalesce(c.attributes ->> $1::text, '') = $2::text)`, []any{"industry", "retail"}},
		{"attribute eq bool", `{"field": "attributes.vip", "op": "eq", "value": true}`,
			`(coalesce(c.attributes ->> $1::text, '') = $2::text)`, []any{"vip", "true"}},
		{"attribute gt number", `{"field": "attributes.employees", "op": "gt", "value": 250}`,
			`coalesce(` + numAttr + ` > $2::numeric, false)`, []any{"employees", "250"}},
		{"attribute neq number", `{"field": "attributes.employees", "op": "neq", "value": 1.5e3}`,
			`NOT coalesce(` + numAttr + ` = $2::numeric, false)`, []any{"employees", "1.5e3"}},
		{"attribute in numbers", `{"field": "attributes.tier", "op": "in", "value": [1, 2]}`,
			`coalesce(` + numAttr + ` = ANY($2::numeric[]), false)`, []any{"tier", []string{"1", "2"}}},
		{"attribute in strings", `{"field": "attributes.tier", "op": "in", "value": ["gold"]}`,
			`coalesce(c.attributes ->> $1::text, '') = ANY($2::text[])`, []any{"tier", []string{"gold"}}},
		{"attribute exists", `{"field": "attributes.x", "op": "exists", "value": true}`,
			`coalesce(c.attributes ->> $1::text, '') <> ''`, []any{"x"}},
		{"single-child all is its child", `{"all": [{"field": "country", "op": "eq", "value": "FI"}]}`,
			`c.country = $1::text`, []any{"FI"}},
		{"nested groups and not", `{"all": [
			{"field": "title", "op": "contains", "value": "purchas"},
			{"any": [{"field": "country", "op": "eq", "value": "FI"}, {"field": "company.country", "op": "eq", "value": "FI"}]},
			{"not": {"field": "kind", "op": "eq", "value": "b2c"}}]}`,
			`(c.job_title ILIKE $1::text AND (c.country = $2::text OR coalesce(co.country, '') = $3::text) AND NOT (c.kind = $4::text))`,
			[]any{"%purchas%", "FI", "FI", "b2c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := campaign.ParseFilter([]byte(tt.filter))
			require.NoError(t, err)
			args := &campaign.Args{}
			sql, err := f.Where(args)
			require.NoError(t, err)
			assert.Equal(t, tt.wantSQL, sql)
			if tt.name == "time lt" {
				require.Len(t, args.Values(), 1)
				assert.True(t, at.Equal(args.Values()[0].(time.Time)))
				return
			}
			assert.Equal(t, tt.wantArgs, args.Values())
		})
	}
}

func TestWherePlaceholdersFollowPrefilledArgs(t *testing.T) {
	t.Parallel()
	args := &campaign.Args{}
	assert.Equal(t, "$1", args.Add(int64(7)))
	sql, err := campaign.Match("country", campaign.OpEq, "FI").Where(args)
	require.NoError(t, err)
	assert.Equal(t, "c.country = $2::text", sql)
	assert.Equal(t, []any{int64(7), "FI"}, args.Values())
}

func TestParseFilterRejects(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`{"not":`, campaign.MaxDepth+1) + `{}` + strings.Repeat(`}`, campaign.MaxDepth+1)
	many := `{"any": [` + strings.Repeat(`{"field": "country", "op": "eq", "value": "FI"},`, campaign.MaxLeaves) +
		`{"field": "country", "op": "eq", "value": "SE"}]}`
	tests := []struct {
		name, filter, wantMsg string
	}{
		{"not JSON", `{`, `invalid JSON`},
		{"not an object", `[]`, `must be a JSON object`},
		{"null", `null`, `must be a JSON object`},
		{"unknown field with path", `{"all": [{"field": "country", "op": "eq", "value": "FI"}, {"field": "country", "op": "eq", "value": "SE"}, {"field": "titel", "op": "eq", "value": "x"}]}`,
			`all[2].field: unknown field "titel"`},
		{"unknown op", `{"field": "country", "op": "like", "value": "FI"}`, `op: unknown operator "like"`},
		{"unknown key", `{"field": "country", "op": "eq", "valeu": "FI"}`, `valeu: unknown key`},
		{"mixed node", `{"all": [], "field": "country", "op": "eq", "value": "FI"}`, `a node is one of`},
		{"all not array", `{"all": {}}`, `all: must be an array of filters`},
		{"empty any", `{"any": []}`, `any: needs at least one filter`},
		{"missing value", `{"field": "country", "op": "eq"}`, `value: missing`},
		{"missing field", `{"op": "eq", "value": "x"}`, `field: must be a non-empty string`},
		{"in needs array", `{"field": "country", "op": "in", "value": "FI"}`, `value: must be an array`},
		{"in with an object", `{"field": "country", "op": "in", "value": ["FI", {}]}`, `value: [1] must be a string`},
		{"exists needs bool", `{"field": "phone", "op": "exists", "value": "yes"}`, `value: must be true or false`},
		{"eq with bool on text", `{"field": "country", "op": "eq", "value": true}`, `value: must be a string`},
		{"kind outside enum", `{"field": "kind", "op": "eq", "value": "b2x"}`, `"b2x" is not one of b2b, b2c`},
		{"bad time", `{"field": "created_at", "op": "gt", "value": "yesterday"}`, `must be an RFC 3339 time`},
		{"contains on time", `{"field": "created_at", "op": "contains", "value": "2026"}`, `op: unknown operator "contains"`},
		{"empty contains", `{"field": "title", "op": "contains", "value": ""}`, `value: must not be empty`},
		{"empty attribute key", `{"field": "attributes.", "op": "eq", "value": "x"}`, `unknown field "attributes."`},
		{"attribute number out of range", `{"field": "attributes.n", "op": "gt", "value": 1e400}`, `out of range`},
		{"attribute mixed in", `{"field": "attributes.n", "op": "in", "value": [1, "a"]}`, `[1] must be a number`},
		{"attribute gt bool", `{"field": "attributes.n", "op": "gt", "value": true}`, `must be a number or a string`},
		{"too deep", deep, `nested deeper than 10`},
		{"too many leaves", many, `more than 200 field conditions`},
		{"deep path", `{"any": [{"not": {"all": [{"field": "country", "op": "eq", "value": 1}, {"field": "x", "op": "eq", "value": 1}]}}]}`,
			`any[0].not.all[1].field: unknown field "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := campaign.ParseFilter([]byte(tt.filter))
			require.Error(t, err)
			assert.ErrorIs(t, err, campaign.ErrInvalidFilter)
			var fe *campaign.FilterError
			require.True(t, errors.As(err, &fe))
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}

func TestWhereValidatesFiltersBuiltInGo(t *testing.T) {
	t.Parallel()
	f := campaign.All(campaign.Match("country", campaign.OpEq, "FI"), campaign.Filter{Field: "nope", Op: campaign.OpEq})
	_, err := f.Where(&campaign.Args{})
	require.ErrorIs(t, err, campaign.ErrInvalidFilter)
	assert.Contains(t, err.Error(), `all[1].field: unknown field "nope"`)

	_, err = campaign.Filter{Any: []campaign.Filter{{}}, Field: "country"}.Where(&campaign.Args{})
	assert.ErrorContains(t, err, "a node is one of")
}

func TestFilterRoundTripsThroughJSON(t *testing.T) {
	t.Parallel()
	f := campaign.All(
		campaign.Match("title", campaign.OpContains, "purchas"),
		campaign.Not(campaign.AnyOf(campaign.Match("country", campaign.OpIn, []string{"SE", "NO"}))),
		campaign.Match("attributes.employees", campaign.OpGt, 250),
	)
	b, err := json.Marshal(f)
	require.NoError(t, err)
	back, err := campaign.ParseFilter(b)
	require.NoError(t, err)
	assert.Equal(t, f, back)
}
