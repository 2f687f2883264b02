package campaign_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/pgtest"
)

// bundle is what most tests need: a fresh schema and a store over it.
type bundle struct {
	ctx   context.Context
	pool  *pgxpool.Pool
	store *campaign.Store
}

func setup(t testing.TB) bundle {
	t.Helper()
	db := pgtest.New(t)
	return bundle{ctx: context.Background(), pool: db.Pool, store: campaign.New(db.Pool)}
}

// company is a companies row for addCompany; zero fields take the column defaults.
type company struct {
	Name, BusinessID, Country, Location, Website string
}

func addCompany(t testing.TB, b bundle, c company) int64 {
	t.Helper()
	var businessID *string
	if c.BusinessID != "" {
		businessID = &c.BusinessID
	}
	var id int64
	require.NoError(t, b.pool.QueryRow(b.ctx, `
		INSERT INTO companies (name, business_id, country, location, website)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		c.Name, businessID, c.Country, c.Location, c.Website).Scan(&id))
	return id
}

// contact is a contacts row for addContact.
type contact struct {
	Email, FirstName, LastName, JobTitle, Country, Segment, Phone string
	Kind                                                          string // "" is b2b
	CompanyID                                                     int64
	Attributes                                                    map[string]any
	Banned, Consent                                               bool
	CreatedAt                                                     time.Time // zero is now
}

func addContact(t testing.TB, b bundle, c contact) int64 {
	t.Helper()
	if c.Kind == "" {
		c.Kind = "b2b"
	}
	if c.Attributes == nil {
		c.Attributes = map[string]any{}
	}
	attrs, err := json.Marshal(c.Attributes)
	require.NoError(t, err)
	var companyID *int64
	if c.CompanyID != 0 {
		companyID = &c.CompanyID
	}
	var created *time.Time
	if !c.CreatedAt.IsZero() {
		created = &c.CreatedAt
	}
	var id int64
	require.NoError(t, b.pool.QueryRow(b.ctx, `
		INSERT INTO contacts (email, first_name, last_name, job_title, country, segment, phone, kind,
		                      company_id, attributes, banned_at, consent_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
		        CASE WHEN $11 THEN now() END, CASE WHEN $12 THEN now() END, coalesce($13, now()))
		RETURNING id`,
		c.Email, c.FirstName, c.LastName, c.JobTitle, c.Country, c.Segment, c.Phone, c.Kind,
		companyID, string(attrs), c.Banned, c.Consent, created).Scan(&id))
	return id
}

func addBrand(t testing.TB, b bundle, name string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, b.pool.QueryRow(b.ctx, `
		INSERT INTO brands (name, from_name, from_address, postal_address)
		VALUES ($1, 'Acme News', 'news@acme.example', 'Mannerheimintie 1, 00100 Helsinki')
		RETURNING id`, name).Scan(&id))
	return id
}

func mustFilter(t testing.TB, s string) campaign.Filter {
	t.Helper()
	f, err := campaign.ParseFilter([]byte(s))
	require.NoError(t, err)
	return f
}

// now is the wall clock at PostgreSQL's precision.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
