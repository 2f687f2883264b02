package register

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/kirje/kirje/internal/emailaddr"
	"github.com/kirje/kirje/internal/pg"
)

// ContactPatch is a rectification: only non-nil fields change, and an empty string clears one.
type ContactPatch struct {
	Email          *string `json:"email,omitempty"` // normalised; another contact's email is ErrConflict
	FirstName      *string `json:"first_name,omitempty"`
	LastName       *string `json:"last_name,omitempty"`
	JobTitle       *string `json:"job_title,omitempty"`
	AcademicTitle  *string `json:"academic_title,omitempty"`
	Segment        *string `json:"segment,omitempty"`
	Country        *string `json:"country,omitempty"`
	Phone          *string `json:"phone,omitempty"`
	PostalAddress  *string `json:"postal_address,omitempty"`
	CustomerNumber *string `json:"customer_number,omitempty"`
	LeadID         *string `json:"lead_id,omitempty"`
	CompanyID      *int64  `json:"company_id,omitempty"` // 0 unlinks the company
	Kind           *Kind   `json:"kind,omitempty"`
	Tracking       *string `json:"tracking,omitempty"` // always refused: see Store.SetTracking
	// Attributes, when non-nil, replace the stored attributes entirely (an empty map clears them).
	Attributes map[string]any `json:"attributes,omitempty"`
}

// ContactChange is what UpdateContact changed, for the caller's audit record.
type ContactChange struct {
	Before, After Contact
	Fields        []string // JSON names of the fields whose value changed; empty when none did
}

// UpdateContact applies p to the contact with id and returns the contact before and after.
// A patch that changes nothing writes nothing. Errors: ErrNotFound, ErrInvalid naming the field
// (also for a company_id that does not exist), ErrConflict when the new email is taken.
func (s *Store) UpdateContact(ctx context.Context, id int64, p ContactPatch) (ContactChange, error) {
	var ch ContactChange
	err := inTx(ctx, s.db, func(db pg.DBTX) error {
		var err error
		if ch.Before, err = contactWhere(ctx, db, "id = $1 FOR UPDATE", id); err != nil {
			return err
		}
		if ch.After, ch.Fields, err = p.apply(ch.Before); err != nil || len(ch.Fields) == 0 {
			return err
		}
		a := ch.After
		ch.After, err = scanContact(db.QueryRow(ctx, updateContactSQL, id, a.Email, a.FirstName,
			a.LastName, a.JobTitle, a.AcademicTitle, a.Segment, a.Country, a.Phone, a.PostalAddress,
			a.CustomerNumber, a.LeadID, a.CompanyID, a.Kind, a.Attributes, a.Tracking))
		switch {
		case pg.IsUniqueViolation(err, ""):
			return fmt.Errorf("email %s is another contact's: %w", emailaddr.Mask(a.Email), ErrConflict)
		case pg.IsForeignKeyViolation(err):
			return invalid("company_id", "no company %d", a.CompanyID)
		}
		return err
	})
	if err != nil {
		return ContactChange{}, fmt.Errorf("register: update contact %d: %w", id, err)
	}
	return ch, nil
}

const updateContactSQL = `
UPDATE contacts SET email = $2, first_name = $3, last_name = $4, job_title = $5, academic_title = $6,
    segment = $7, country = $8, phone = $9, postal_address = $10, customer_number = $11, lead_id = $12,
    company_id = NULLIF($13, 0), kind = $14, attributes = $15, tracking = NULLIF($16, ''),
    updated_at = now()
WHERE id = $1
RETURNING ` + contactColumns

// apply returns c with p applied and the names of the fields that changed.
func (p ContactPatch) apply(c Contact) (Contact, []string, error) {
	var changed []string
	set := func(field string, dst *string, v string) {
		if *dst != v {
			*dst = v
			changed = append(changed, field)
		}
	}
	if p.Email != nil {
		email, err := normalizeEmail(*p.Email)
		if err != nil {
			return c, nil, invalidEmail("email", err)
		}
		set("email", &c.Email, email)
	}
	if err := p.applyText(&c, set); err != nil {
		return c, nil, err
	}
	if p.CompanyID != nil && *p.CompanyID != c.CompanyID {
		if *p.CompanyID < 0 {
			return c, nil, invalid("company_id", "negative")
		}
		c.CompanyID = *p.CompanyID
		changed = append(changed, "company_id")
	}
	if p.Kind != nil {
		k, err := parseKind(string(*p.Kind))
		if err != nil || k == "" {
			return c, nil, invalid("kind", "%q is neither b2b nor b2c", *p.Kind)
		}
		if k != c.Kind {
			c.Kind = k
			changed = append(changed, "kind")
		}
	}
	if p.Tracking != nil {
		// Like a ban or a consent, a tracking level is the person's recorded choice, kept with its
		// source and history (SetTracking); a rectification would change it without a trace.
		return c, nil, invalid("tracking", "is the person's recorded choice: record it as one "+
			"(POST /api/v1/contacts/{id}/tracking, kirje subjects tracking), which keeps its history")
	}
	if p.Attributes != nil {
		newJSON, err := marshalAttributes(p.Attributes)
		if err != nil {
			return c, nil, err
		}
		if oldJSON, _ := marshalAttributes(c.Attributes); !bytes.Equal(oldJSON, newJSON) {
			c.Attributes = map[string]any{}
			_ = json.Unmarshal(newJSON, &c.Attributes) // as the database will return them
			changed = append(changed, "attributes")
		}
	}
	return c, changed, nil
}

func (p ContactPatch) applyText(c *Contact, set func(string, *string, string)) error {
	fields := []struct {
		name      string
		patch     *string
		dst       *string
		multiline bool
	}{
		{"first_name", p.FirstName, &c.FirstName, false},
		{"last_name", p.LastName, &c.LastName, false},
		{"job_title", p.JobTitle, &c.JobTitle, false},
		{"academic_title", p.AcademicTitle, &c.AcademicTitle, false},
		{"segment", p.Segment, &c.Segment, false},
		{"country", p.Country, &c.Country, false},
		{"phone", p.Phone, &c.Phone, false},
		{"postal_address", p.PostalAddress, &c.PostalAddress, true},
		{"customer_number", p.CustomerNumber, &c.CustomerNumber, false},
		{"lead_id", p.LeadID, &c.LeadID, false},
	}
	for _, f := range fields {
		if f.patch == nil {
			continue
		}
		v, err := cleanText(f.name, *f.patch, f.multiline)
		if err != nil {
			return err
		}
		if f.name == "country" {
			v = normalizeCountry(v)
		}
		set(f.name, f.dst, v)
	}
	return nil
}
