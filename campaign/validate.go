package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/templates"
)

const maxNameLen = 200

// prepare normalises and validates in, compiles its templates and checks them against a sample
// recipient. It returns the tracked links to store. Every refusal wraps ErrInvalid.
func (s *Store) prepare(ctx context.Context, in Input) (Input, []templates.Link, error) {
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		return in, nil, fmt.Errorf("%w: name is empty", ErrInvalid)
	case utf8.RuneCountInString(in.Name) > maxNameLen:
		return in, nil, fmt.Errorf("%w: name is longer than %d characters", ErrInvalid, maxNameLen)
	case strings.TrimSpace(in.Subject) == "":
		return in, nil, fmt.Errorf("%w: subject is empty", ErrInvalid)
	case strings.TrimSpace(in.HTML) == "":
		return in, nil, fmt.Errorf("%w: HTML body is empty", ErrInvalid)
	}
	if in.Layout == "" {
		in.Layout = templates.LayoutDefault
	}
	if in.Layout != templates.LayoutDefault && in.Layout != templates.LayoutNone {
		return in, nil, fmt.Errorf("%w: layout %q is not %q or %q", ErrInvalid, in.Layout,
			templates.LayoutDefault, templates.LayoutNone)
	}
	if _, err := in.Segment.Where(&Args{}); err != nil {
		return in, nil, fmt.Errorf("%w: segment: %w", ErrInvalid, err)
	}
	brand, err := s.brand(ctx, in.BrandID)
	if err != nil {
		return in, nil, err
	}
	compiled, err := templates.Compile(templates.Source{Subject: in.Subject, HTML: in.HTML, Text: in.Text, Layout: in.Layout})
	if err != nil {
		return in, nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	draft := Campaign{BrandID: in.BrandID, Name: in.Name, Subject: in.Subject, HTML: in.HTML, Text: in.Text,
		Layout: in.Layout, Segment: in.Segment, Status: StatusDraft, CreatedBy: in.CreatedBy}
	if err := compiled.Validate(SampleData(brand, draft)); err != nil {
		return in, nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return in, compiled.Links(), nil
}

func (s *Store) brand(ctx context.Context, id int64) (register.Brand, error) {
	b, err := register.New(s.db).Brand(ctx, id)
	if errors.Is(err, register.ErrNotFound) {
		return b, fmt.Errorf("%w: brand %d does not exist", ErrInvalid, id)
	}
	if err != nil {
		return b, err
	}
	b.DKIMKeyPEM = "" // a secret; templates have no business seeing it
	return b, nil
}

// SampleData is the recipient a campaign's templates are validated against: a fully filled-in
// contact at a company, with the real brand and campaign. The worker renders with the same shapes
// (*register.Contact and *register.Company as Claim returns them, nil Company when the contact has
// none; register.Brand and Campaign values), so a template that renders here renders for real
// recipients; templates.Validate also tries it without the company.
func SampleData(brand register.Brand, c Campaign) templates.Data {
	at := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	company := register.Company{ID: 1, Name: "Esimerkki Oy", BusinessID: "1234567-1",
		Website: "https://esimerkki.example", Country: "FI", Location: "Tampere", CreatedAt: at, UpdatedAt: at}
	contact := register.Contact{ID: 1, Email: "maija.virtanen@esimerkki.example", FirstName: "Maija",
		LastName: "Virtanen", JobTitle: "Purchasing Manager", AcademicTitle: "M.Sc. (Econ.)",
		Segment: "manufacturing", Country: "FI", Phone: "+358 40 123 4567",
		PostalAddress: "Hämeenkatu 1, 33100 Tampere", CustomerNumber: "C-10001", LeadID: "L-20001",
		CompanyID: company.ID, Kind: register.B2B, Attributes: map[string]any{}, CreatedAt: at, UpdatedAt: at}
	return templates.Data{Contact: &contact, Company: &company, Brand: brand, Campaign: c}
}
