package campaign_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
)

// registerFixture is a small register that every segment case runs against.
func registerFixture(t *testing.T, b bundle) {
	acme := addCompany(t, b, company{Name: "Acme Oy", BusinessID: "1234567-1", Country: "FI", Location: "Helsinki"})
	nordic := addCompany(t, b, company{Name: "Nordic AB", Country: "SE"})
	other := addCompany(t, b, company{Name: "Other Oy"})
	addContact(t, b, contact{Email: "anna@acme.fi", JobTitle: "Head of Purchasing", Country: "FI", CompanyID: acme,
		Attributes: map[string]any{"employees": 300}})
	addContact(t, b, contact{Email: "bo@nordic.se", JobTitle: "Purchasing Manager", Country: "SE", CompanyID: nordic,
		Attributes: map[string]any{"employees": "40"}})
	addContact(t, b, contact{Email: "cecilia@home.fi", Country: "FI", Kind: "b2c",
		Attributes: map[string]any{"employees": "n/a"}})
	addContact(t, b, contact{Email: "dan@home.fi", JobTitle: "CEO", Country: "FI", Kind: "b2c", Consent: true,
		Attributes: map[string]any{"vip": true}, CreatedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
	addContact(t, b, contact{Email: "eve@acme.fi", JobTitle: "Purchaser 50%", Phone: "+358401234567", CompanyID: acme,
		Banned: true})
	addContact(t, b, contact{Email: "frank@other.fi", JobTitle: "Sales 500x", CompanyID: other,
		Attributes: map[string]any{"employees": ""}})
}

func TestSegmentsSelectTheRightContacts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	registerFixture(t, b)
	everyone := []string{"anna@acme.fi", "bo@nordic.se", "cecilia@home.fi", "dan@home.fi", "eve@acme.fi", "frank@other.fi"}

	tests := []struct {
		name   string
		filter string
		want   []string
	}{
		{"empty is everyone", `{}`, everyone},
		{"empty all is everyone", `{"all": []}`, everyone},
		{"job role", `{"field": "title", "op": "contains", "value": "PURCHAS"}`, []string{"anna@acme.fi", "bo@nordic.se", "eve@acme.fi"}},
		{"percent is literal", `{"field": "job_title", "op": "contains", "value": "50%"}`, []string{"eve@acme.fi"}},
		{"underscore is literal", `{"field": "job_title", "op": "contains", "value": "_"}`, nil},
		{"prefix", `{"field": "title", "op": "prefix", "value": "head"}`, []string{"anna@acme.fi"}},
		{"email eq any case", `{"field": "email", "op": "eq", "value": "ANNA@acme.fi"}`, []string{"anna@acme.fi"}},
		{"in", `{"field": "country", "op": "in", "value": ["SE", "XX"]}`, []string{"bo@nordic.se"}},
		{"company field", `{"field": "company.country", "op": "eq", "value": "FI"}`, []string{"anna@acme.fi", "eve@acme.fi"}},
		{"neq includes contacts without a company", `{"field": "company.country", "op": "neq", "value": "FI"}`,
			[]string{"bo@nordic.se", "cecilia@home.fi", "dan@home.fi", "frank@other.fi"}},
		{"not equals neq", `{"not": {"field": "company.country", "op": "eq", "value": "FI"}}`,
			[]string{"bo@nordic.se", "cecilia@home.fi", "dan@home.fi", "frank@other.fi"}},
		{"company business id exists", `{"field": "company.business_id", "op": "exists", "value": true}`, []string{"anna@acme.fi", "eve@acme.fi"}},
		{"phone exists", `{"field": "phone", "op": "exists", "value": true}`, []string{"eve@acme.fi"}},
		{"kind", `{"field": "kind", "op": "eq", "value": "b2c"}`, []string{"cecilia@home.fi", "dan@home.fi"}},
		{"numeric attribute over numbers and numeric strings", `{"field": "attributes.employees", "op": "gt", "value": 30}`,
			[]string{"anna@acme.fi", "bo@nordic.se"}},
		{"numeric lt skips non-numbers", `{"field": "attributes.employees", "op": "lt", "value": 100}`, []string{"bo@nordic.se"}},
		{"not numeric gt matches the rest", `{"not": {"field": "attributes.employees", "op": "gt", "value": 30}}`,
			[]string{"cecilia@home.fi", "dan@home.fi", "eve@acme.fi", "frank@other.fi"}},
		{"numeric in", `{"field": "attributes.employees", "op": "in", "value": [40, 41]}`, []string{"bo@nordic.se"}},
		{"numeric eq 300.0", `{"field": "attributes.employees", "op": "eq", "value": 300.0}`, []string{"anna@acme.fi"}},
		{"attribute text eq", `{"field": "attributes.employees", "op": "eq", "value": "n/a"}`, []string{"cecilia@home.fi"}},
		{"attribute bool", `{"field": "attributes.vip", "op": "eq", "value": true}`, []string{"dan@home.fi"}},
		{"attribute missing or empty", `{"field": "attributes.employees", "op": "exists", "value": false}`,
			[]string{"dan@home.fi", "eve@acme.fi", "frank@other.fi"}},
		{"time", `{"field": "created_at", "op": "lt", "value": "2021-01-01T00:00:00Z"}`, []string{"dan@home.fi"}},
		{"any and all", `{"all": [{"any": [{"field": "country", "op": "eq", "value": "SE"}, {"field": "kind", "op": "eq", "value": "b2c"}]},
			{"not": {"field": "email", "op": "eq", "value": "cecilia@home.fi"}}]}`, []string{"bo@nordic.se", "dan@home.fi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := &campaign.Args{}
			where, err := mustFilter(t, tt.filter).Where(args)
			require.NoError(t, err)
			rows, err := b.pool.Query(b.ctx, `SELECT c.email FROM contacts c LEFT JOIN companies co ON co.id = c.company_id
				WHERE `+where+` ORDER BY c.email`, args.Values()...)
			require.NoError(t, err)
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			if tt.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPreviewCountsMailable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	registerFixture(t, b)

	got, err := campaign.Preview(b.ctx, b.pool, campaign.Filter{})
	require.NoError(t, err)
	// eve is banned and cecilia is b2c without consent.
	assert.Equal(t, campaign.PreviewCounts{Matching: 6, Mailable: 4}, got)

	got, err = campaign.Preview(b.ctx, b.pool, mustFilter(t, `{"field": "title", "op": "contains", "value": "purchas"}`))
	require.NoError(t, err)
	assert.Equal(t, campaign.PreviewCounts{Matching: 3, Mailable: 2}, got)

	_, err = campaign.Preview(b.ctx, b.pool, campaign.Filter{Field: "titel", Op: campaign.OpEq})
	assert.ErrorIs(t, err, campaign.ErrInvalidFilter)
}
