package register

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// CompanyInput is what UpsertCompany takes. Empty fields leave a found company's values as they
// are; the register never erases company data on upsert.
type CompanyInput struct {
	Name       string `json:"name"`
	BusinessID string `json:"business_id"` // normalised with NormalizeBusinessID(Country, …)
	Website    string `json:"website"`     // as written, without whitespace ("www.example.fi")
	Country    string `json:"country"`
	Location   string `json:"location"`
}

// companyRow is a validated CompanyInput.
type companyRow CompanyInput

func (in CompanyInput) normalize() (companyRow, error) {
	r := companyRow{Name: strings.TrimSpace(in.Name), Country: normalizeCountry(in.Country)}
	var err error
	if r.Website, err = cleanWebsite("website", in.Website); err != nil {
		return companyRow{}, err
	}
	if r.Location, err = cleanText("location", in.Location, false); err != nil {
		return companyRow{}, err
	}
	if r.BusinessID, err = NormalizeBusinessID(r.Country, in.BusinessID); err != nil {
		return companyRow{}, err
	}
	if r.Name == "" && r.BusinessID == "" {
		return companyRow{}, invalid("name", "a company needs a name or a business ID")
	}
	return r, nil
}

// normalizeCountry trims c and upper-cases it when it is a two-letter code ("fi" → "FI").
func normalizeCountry(c string) string {
	c = strings.TrimSpace(c)
	if len(c) == 2 {
		return strings.ToUpper(c)
	}
	return c
}

const companyColumns = `id, name, COALESCE(business_id, ''), website, country, location, created_at, updated_at`

func scanCompany(row pgx.Row) (Company, error) {
	var c Company
	err := row.Scan(&c.ID, &c.Name, &c.BusinessID, &c.Website, &c.Country, &c.Location, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// UpsertCompany finds the company by business ID, or by case-insensitive name among companies
// without one, and updates it with in's non-empty fields; or creates it. Invalid input (no name
// and no business ID, a bad Y-tunnus) is ErrInvalid.
func (s *Store) UpsertCompany(ctx context.Context, in CompanyInput) (Company, error) {
	r, err := in.normalize()
	if err != nil {
		return Company{}, fmt.Errorf("register: upsert company: %w", err)
	}
	rows, err := s.db.Query(ctx, upsertCompaniesSQL+` SELECT `+companyColumns+` FROM upserted`,
		[]string{r.Name}, []string{r.BusinessID}, []string{r.Website}, []string{r.Country},
		[]string{r.Location}, true)
	if err != nil {
		return Company{}, fmt.Errorf("register: upsert company: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (Company, error) { return scanCompany(r) })
	if err != nil {
		return Company{}, fmt.Errorf("register: upsert company: %w", err)
	}
	return c, nil
}

// Company returns the company with id, or ErrNotFound.
func (s *Store) Company(ctx context.Context, id int64) (Company, error) {
	c, err := scanCompany(s.db.QueryRow(ctx, `SELECT `+companyColumns+` FROM companies WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Company{}, fmt.Errorf("register: company %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Company{}, fmt.Errorf("register: company %d: %w", id, err)
	}
	return c, nil
}

// upsertCompanies upserts a batch of validated companies in one statement (see
// upsertCompaniesSQL); overwriteCountry says whether a given country replaces a stored one or
// only fills an empty one (an import's country is the contact's, a weaker hint).
func upsertCompanies(ctx context.Context, db pg.DBTX, rows []companyRow, overwriteCountry bool) error {
	if len(rows) == 0 {
		return nil
	}
	cols := make([][]string, 5)
	for i := range cols {
		cols[i] = make([]string, len(rows))
	}
	for i, r := range rows {
		cols[0][i], cols[1][i], cols[2][i], cols[3][i], cols[4][i] = r.Name, r.BusinessID, r.Website, r.Country, r.Location
	}
	_, err := db.Exec(ctx, upsertCompaniesSQL+` SELECT 1`, cols[0], cols[1], cols[2], cols[3], cols[4], overwriteCountry)
	return err
}
