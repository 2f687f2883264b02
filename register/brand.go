package register

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

const brandColumns = `id, name, from_name, from_address, reply_to, postal_address, dkim_domain,
    dkim_selector, dkim_key_pem, relay, tracking, created_at, updated_at`

func scanBrand(row pgx.Row) (Brand, error) {
	var b Brand
	err := row.Scan(&b.ID, &b.Name, &b.FromName, &b.FromAddress, &b.ReplyTo, &b.PostalAddress,
		&b.DKIMDomain, &b.DKIMSelector, &b.DKIMKeyPEM, &b.Relay, &b.Tracking, &b.CreatedAt, &b.UpdatedAt)
	return b, err
}

// CreateBrand validates in and stores it as a new brand. Errors: ErrInvalid naming the field,
// ErrConflict when a brand has that name.
func (s *Store) CreateBrand(ctx context.Context, in BrandInput) (Brand, error) {
	b, err := in.normalize("")
	if err != nil {
		return Brand{}, fmt.Errorf("register: create brand: %w", err)
	}
	b, err = scanBrand(s.db.QueryRow(ctx, `
INSERT INTO brands (name, from_name, from_address, reply_to, postal_address, dkim_domain,
    dkim_selector, dkim_key_pem, relay, tracking)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING `+brandColumns, brandArgs(b)...))
	if pg.IsUniqueViolation(err, "") {
		return Brand{}, fmt.Errorf("register: create brand %q: %w", in.Name, ErrConflict)
	}
	if err != nil {
		return Brand{}, fmt.Errorf("register: create brand %q: %w", in.Name, err)
	}
	return b, nil
}

func brandArgs(b Brand) []any {
	return []any{b.Name, b.FromName, b.FromAddress, b.ReplyTo, b.PostalAddress, b.DKIMDomain,
		b.DKIMSelector, b.DKIMKeyPEM, b.Relay, b.Tracking}
}

// UpdateBrand replaces the brand's settings with in, validated as CreateBrand does, except that
// an empty DKIMKeyPEM with a DKIM domain and selector keeps the stored key (keys are never read
// back out); with all three DKIM fields empty the brand stops signing. Errors: ErrNotFound,
// ErrInvalid, ErrConflict (the new name is another brand's).
func (s *Store) UpdateBrand(ctx context.Context, id int64, in BrandInput) (Brand, error) {
	var out Brand
	err := inTx(ctx, s.db, func(db pg.DBTX) error {
		var kept string
		err := db.QueryRow(ctx, `SELECT dkim_key_pem FROM brands WHERE id = $1 FOR UPDATE`, id).Scan(&kept)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		b, err := in.normalize(kept)
		if err != nil {
			return err
		}
		out, err = scanBrand(db.QueryRow(ctx, `
UPDATE brands SET name = $2, from_name = $3, from_address = $4, reply_to = $5, postal_address = $6,
    dkim_domain = $7, dkim_selector = $8, dkim_key_pem = $9, relay = $10, tracking = $11,
    updated_at = now()
WHERE id = $1
RETURNING `+brandColumns, append([]any{id}, brandArgs(b)...)...))
		if pg.IsUniqueViolation(err, "") {
			return fmt.Errorf("name %q is another brand's: %w", b.Name, ErrConflict)
		}
		return err
	})
	if err != nil {
		return Brand{}, fmt.Errorf("register: update brand %d: %w", id, err)
	}
	return out, nil
}

// Brand returns the brand with id, or ErrNotFound.
func (s *Store) Brand(ctx context.Context, id int64) (Brand, error) {
	return s.brandWhere(ctx, "id = $1", id)
}

// BrandByName returns the brand with exactly that name, or ErrNotFound.
func (s *Store) BrandByName(ctx context.Context, name string) (Brand, error) {
	return s.brandWhere(ctx, "name = $1", name)
}

func (s *Store) brandWhere(ctx context.Context, cond string, arg any) (Brand, error) {
	b, err := scanBrand(s.db.QueryRow(ctx, `SELECT `+brandColumns+` FROM brands WHERE `+cond, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return Brand{}, fmt.Errorf("register: brand %v: %w", arg, ErrNotFound)
	}
	if err != nil {
		return Brand{}, fmt.Errorf("register: brand %v: %w", arg, err)
	}
	return b, nil
}

// ListBrands returns every brand, by name. There are few: a group has a handful of identities.
func (s *Store) ListBrands(ctx context.Context) ([]Brand, error) {
	rows, err := s.db.Query(ctx, `SELECT `+brandColumns+` FROM brands ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("register: list brands: %w", err)
	}
	bs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Brand, error) { return scanBrand(r) })
	if err != nil {
		return nil, fmt.Errorf("register: list brands: %w", err)
	}
	return bs, nil
}
