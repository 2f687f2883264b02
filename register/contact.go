package register

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/emailaddr"
	"github.com/kirje/kirje/internal/pg"
)

const contactColumns = `id, email, first_name, last_name, job_title, academic_title, segment, country,
    phone, postal_address, customer_number, lead_id, COALESCE(company_id, 0), kind, attributes,
    COALESCE(tracking, ''), banned_at, consent_at, created_at, updated_at`

func scanContact(row pgx.Row) (Contact, error) {
	var c Contact
	err := row.Scan(&c.ID, &c.Email, &c.FirstName, &c.LastName, &c.JobTitle, &c.AcademicTitle,
		&c.Segment, &c.Country, &c.Phone, &c.PostalAddress, &c.CustomerNumber, &c.LeadID,
		&c.CompanyID, &c.Kind, &c.Attributes, &c.Tracking, &c.BannedAt, &c.ConsentAt,
		&c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// UpsertContact creates the contact with in's email, or updates the existing one with in's
// non-empty fields (see ContactInput), linking or creating its company. created reports which.
// Invalid input is ErrInvalid naming the field.
func (s *Store) UpsertContact(ctx context.Context, in ContactInput) (c Contact, created bool, err error) {
	r, err := in.normalize()
	if err != nil {
		return Contact{}, false, fmt.Errorf("register: upsert contact: %w", err)
	}
	err = inTx(ctx, s.db, func(db pg.DBTX) error {
		var companies []companyRow
		if r.company != (companyRow{}) {
			companies = []companyRow{r.company}
		}
		res, err := upsertContacts(ctx, db, []contactRow{r}, companies)
		if err != nil {
			return err
		}
		if len(res) != 1 {
			return fmt.Errorf("upsert returned %d rows", len(res))
		}
		created = res[0].Inserted
		c, err = contactWhere(ctx, db, "id = $1", res[0].ID)
		return err
	})
	if err != nil {
		return Contact{}, false, fmt.Errorf("register: upsert contact: %w", err)
	}
	return c, created, nil
}

// Contact returns the contact with id, or ErrNotFound.
func (s *Store) Contact(ctx context.Context, id int64) (Contact, error) {
	c, err := contactWhere(ctx, s.db, "id = $1", id)
	if err != nil {
		return Contact{}, fmt.Errorf("register: contact %d: %w", id, err)
	}
	return c, nil
}

// ContactByEmail returns the contact with email (normalised first, so case does not matter),
// ErrNotFound when there is none, or ErrInvalid when email is not an address.
func (s *Store) ContactByEmail(ctx context.Context, email string) (Contact, error) {
	norm, err := normalizeEmail(email)
	if err != nil {
		return Contact{}, fmt.Errorf("register: contact by email: %w", invalidEmail("email", err))
	}
	c, err := contactWhere(ctx, s.db, "email = $1", norm)
	if err != nil {
		return Contact{}, fmt.Errorf("register: contact %s: %w", emailaddr.Mask(norm), err)
	}
	return c, nil
}

// contactWhere returns the one contact matching cond ($1 = arg), or ErrNotFound.
func contactWhere(ctx context.Context, db pg.DBTX, cond string, arg any) (Contact, error) {
	c, err := scanContact(db.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE `+cond, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return Contact{}, ErrNotFound
	}
	return c, err
}

// ListOptions selects a page of contacts in ID order.
type ListOptions struct {
	AfterID int64 // the last ID of the previous page; 0 for the first page
	Limit   int   // page size: 100 when 0, at most 1000
}

// ListContacts returns up to Limit contacts with IDs above AfterID, in ID order (keyset
// pagination: pages stay stable while contacts are added). An empty result is the end.
func (s *Store) ListContacts(ctx context.Context, opts ListOptions) ([]Contact, error) {
	switch {
	case opts.Limit < 0:
		return nil, fmt.Errorf("register: list contacts: %w", invalid("limit", "negative"))
	case opts.Limit == 0:
		opts.Limit = 100
	case opts.Limit > 1000:
		opts.Limit = 1000
	}
	rows, err := s.db.Query(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id > $1 ORDER BY id LIMIT $2`,
		opts.AfterID, opts.Limit)
	if err != nil {
		return nil, fmt.Errorf("register: list contacts: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Contact, error) { return scanContact(r) })
	if err != nil {
		return nil, fmt.Errorf("register: list contacts: %w", err)
	}
	return cs, nil
}

// DeleteContact removes the contact and, by cascade, its ban and consent history (erasure).
// It returns ErrNotFound when there is no such contact. Keeping the person off later imports is
// the suppression list's job, not the register's.
func (s *Store) DeleteContact(ctx context.Context, id int64) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM contacts WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("register: delete contact %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("register: delete contact %d: %w", id, ErrNotFound)
	}
	return nil
}

// holdContactsSQL takes a key-share lock on each of $1 that names a contact and returns those.
// The lock conflicts only with FOR UPDATE and DELETE: an erasure (which locks its contact FOR
// UPDATE before it scrubs anything) waits for the holder's commit, while imports and edits do not.
const holdContactsSQL = `SELECT id FROM contacts WHERE id = ANY($1) FOR KEY SHARE`

// HoldContacts locks the contacts of ids against erasure until the caller's transaction ends
// (an erasure begun meanwhile waits, and then scrubs what the transaction wrote) and returns
// those of ids that name no contact: erased already. Run it in a transaction, before anything
// that an erasure also locks.
func (s *Store) HoldContacts(ctx context.Context, ids []int64) (missing map[int64]bool, err error) {
	rows, err := s.db.Query(ctx, holdContactsSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("register: hold contacts: %w", err)
	}
	present, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("register: hold contacts: %w", err)
	}
	found := make(map[int64]bool, len(present))
	for _, id := range present {
		found[id] = true
	}
	missing = map[int64]bool{}
	for _, id := range ids {
		if !found[id] {
			missing[id] = true
		}
	}
	return missing, nil
}
