package campaign_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
)

// fuzzFixture is a register whose attributes hold the values most likely to break a cast.
func fuzzFixture(t testing.TB, b bundle) {
	co := addCompany(t, b, company{Name: "Acme Oy", BusinessID: "1234567-1", Country: "FI"})
	for i, attr := range []any{300, "40", "n/a", "", nil, true, 1.5e300, "1e99999", "99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
		" 12 ", "-.5", "NaN", "Infinity", map[string]any{"a": 1}, []any{1, "x"}, "ÅÄÖ %_\\"} {
		addContact(t, b, contact{Email: fmt.Sprintf("c%d@acme.fi", i), JobTitle: "Purchasing Manager", CompanyID: co,
			Attributes: map[string]any{"n": attr, "x": attr}, Kind: []string{"b2b", "b2c"}[i%2], Consent: i%3 == 0})
	}
	addContact(t, b, contact{Email: "nocompany@home.fi"})
}

// FuzzParseFilter: ParseFilter never panics; a filter it accepts compiles, survives a JSON round
// trip unchanged in meaning, and runs on PostgreSQL without error against awkward data.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"all": []}`, `{"any": []}`, `{"not": {}}`,
		`{"field": "title", "op": "contains", "value": "purchas"}`,
		`{"field": "attributes.n", "op": "gt", "value": 30}`,
		`{"field": "attributes.n", "op": "in", "value": [1, 2.5, -3e2]}`,
		`{"field": "attributes.x", "op": "lt", "value": "m"}`,
		`{"field": "attributes.n", "op": "eq", "value": true}`,
		`{"field": "attributes.n", "op": "exists", "value": false}`,
		`{"field": "created_at", "op": "gt", "value": "2026-01-02T03:04:05.123+02:00"}`,
		`{"field": "company.business_id", "op": "prefix", "value": "123\\%_"}`,
		`{"field": "kind", "op": "in", "value": ["b2b"]}`,
		`{"field": "email", "op": "neq", "value": "X@Y.FI"}`,
		`{"field": "customer_number", "op": "eq", "value": 1e5}`,
		`{"all": [{"any": [{"field": "country", "op": "eq", "value": "FI"}, {"not": {"field": "phone", "op": "exists", "value": true}}]}]}`,
		`{"field": "title", "op": "eq", "value": "\u0000"}`,
		`{"field": "attributes.\u0000", "op": "eq", "value": "a"}`,
		`{"field": "country", "op": "in", "value": []}`,
	} {
		f.Add([]byte(seed))
	}
	b := setup(f)
	fuzzFixture(f, b)

	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := campaign.ParseFilter(data)
		if err != nil {
			require.ErrorIs(t, err, campaign.ErrInvalidFilter)
			return
		}
		args := &campaign.Args{}
		where, err := flt.Where(args)
		require.NoError(t, err, "an accepted filter compiles")

		js, err := json.Marshal(flt)
		require.NoError(t, err)
		back, err := campaign.ParseFilter(js)
		require.NoError(t, err, "a filter's JSON parses again: %s", js)
		args2 := &campaign.Args{}
		where2, err := back.Where(args2)
		require.NoError(t, err)
		require.Equal(t, where, where2)
		require.Equal(t, fmt.Sprint(args.Values()), fmt.Sprint(args2.Values()))

		var n int64
		err = b.pool.QueryRow(b.ctx, `SELECT count(*) FROM contacts c LEFT JOIN companies co ON co.id = c.company_id
			WHERE `+where, args.Values()...).Scan(&n)
		require.NoError(t, err, "filter %s compiled to %s", data, where)
	})
}
