package register

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// upsertResult is one contact written by upsertContacts.
type upsertResult struct {
	ID       int64
	Email    string
	Inserted bool
}

// upsertContacts writes a batch of validated contacts (unique emails) with set-based SQL: the
// companies, the contacts, changed kinds. companies are the ones the rows name, in input order
// (an import chunk lists those of merged rows too; see chunk); each contact links to its row's
// company. Callers run it in a transaction.
func upsertContacts(ctx context.Context, db pg.DBTX, rows []contactRow, companies []companyRow) ([]upsertResult, error) {
	if err := upsertCompanies(ctx, db, companies, false); err != nil {
		return nil, fmt.Errorf("companies: %w", err)
	}
	const ncol = 16
	cols := make([][]string, ncol)
	for i := range cols {
		cols[i] = make([]string, len(rows))
	}
	anyKind := false
	for i, r := range rows {
		c := r.in
		for j, v := range [ncol]string{c.Email, c.FirstName, c.LastName, c.JobTitle, c.AcademicTitle,
			c.Segment, c.Country, c.Phone, c.PostalAddress, c.CustomerNumber, c.LeadID, string(c.Kind),
			c.Tracking, string(r.attrs), r.company.Name, r.company.BusinessID} {
			cols[j][i] = v
		}
		anyKind = anyKind || c.Kind != ""
	}
	args := make([]any, ncol)
	for i := range cols {
		args[i] = cols[i]
	}
	res, err := db.Query(ctx, upsertContactsSQL, args...)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	results, err := pgx.CollectRows(res, pgx.RowToStructByPos[upsertResult])
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	if anyKind {
		if _, err := db.Exec(ctx, setKindsSQL, cols[0], cols[11]); err != nil {
			return nil, fmt.Errorf("contact kinds: %w", err)
		}
	}
	return results, nil
}

// upsertContactsSQL inserts or updates contacts given as parallel arrays, "" meaning "not given"
// (an existing value is kept; attributes are merged with ||). The company is looked up as
// upsertCompaniesSQL stored it, through the same unique indexes. Rows go in email order so that
// concurrent imports lock shared contacts in the same order. Kind is NOT NULL and checked, so the
// insert must coalesce it to b2b, and EXCLUDED can then no longer tell "b2b" from "not given":
// setKindsSQL updates it separately. Tracking is set on insert only: an existing contact's level is
// their recorded choice (SetTracking). xmax = 0 holds for a freshly inserted row only.
const upsertContactsSQL = `
INSERT INTO contacts AS c (email, first_name, last_name, job_title, academic_title, segment, country,
    phone, postal_address, customer_number, lead_id, kind, tracking, attributes, company_id)
SELECT i.email, i.first_name, i.last_name, i.job_title, i.academic_title, i.segment, i.country,
    i.phone, i.postal_address, i.customer_number, i.lead_id,
    COALESCE(NULLIF(i.kind, ''), 'b2b'), NULLIF(i.tracking, ''), i.attributes::jsonb,
    CASE
        WHEN i.business_id <> '' THEN (SELECT id FROM companies WHERE business_id = i.business_id)
        WHEN i.company <> '' THEN (SELECT id FROM companies
                                   WHERE business_id IS NULL AND lower(name) = lower(i.company))
    END
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
            $15::text[], $16::text[])
    AS i(email, first_name, last_name, job_title, academic_title, segment, country, phone,
         postal_address, customer_number, lead_id, kind, tracking, attributes, company, business_id)
ORDER BY i.email
ON CONFLICT (email) DO UPDATE SET
    first_name      = COALESCE(NULLIF(EXCLUDED.first_name, ''), c.first_name),
    last_name       = COALESCE(NULLIF(EXCLUDED.last_name, ''), c.last_name),
    job_title       = COALESCE(NULLIF(EXCLUDED.job_title, ''), c.job_title),
    academic_title  = COALESCE(NULLIF(EXCLUDED.academic_title, ''), c.academic_title),
    segment         = COALESCE(NULLIF(EXCLUDED.segment, ''), c.segment),
    country         = COALESCE(NULLIF(EXCLUDED.country, ''), c.country),
    phone           = COALESCE(NULLIF(EXCLUDED.phone, ''), c.phone),
    postal_address  = COALESCE(NULLIF(EXCLUDED.postal_address, ''), c.postal_address),
    customer_number = COALESCE(NULLIF(EXCLUDED.customer_number, ''), c.customer_number),
    lead_id         = COALESCE(NULLIF(EXCLUDED.lead_id, ''), c.lead_id),
    attributes      = c.attributes || EXCLUDED.attributes,
    company_id      = COALESCE(EXCLUDED.company_id, c.company_id),
    updated_at      = now()
RETURNING c.id, c.email, (c.xmax = 0) AS inserted`

// setKindsSQL applies the kinds given for existing contacts (see upsertContactsSQL). The rows
// are already locked by this transaction's upsert, so the join order cannot deadlock.
const setKindsSQL = `
UPDATE contacts AS c SET kind = i.kind, updated_at = now()
FROM unnest($1::text[], $2::text[]) AS i(email, kind)
WHERE c.email = i.email AND i.kind <> '' AND c.kind <> i.kind`
