package register

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ContactInput is what UpsertContact takes. Empty strings mean "not given": a new contact gets
// the column's default and an existing one keeps its value (UpdateContact clears fields).
type ContactInput struct {
	Email          string `json:"email"` // required; normalised with emailaddr.Normalize
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	JobTitle       string `json:"job_title"`
	AcademicTitle  string `json:"academic_title"`
	Segment        string `json:"segment"`
	Country        string `json:"country"` // a two-letter code is upper-cased
	Phone          string `json:"phone"`
	PostalAddress  string `json:"postal_address"`
	CustomerNumber string `json:"customer_number"`
	LeadID         string `json:"lead_id"`
	Kind           Kind   `json:"kind"` // "" = b2b for a new contact, unchanged otherwise
	// Tracking is a new contact's Tracking* level ("" follows the brand). An existing contact's
	// level is their recorded choice (Store.SetTracking) and an upsert leaves it as it is.
	Tracking string `json:"tracking"`
	// Attributes are merged into the stored ones: a key given here replaces the stored key.
	Attributes map[string]any `json:"attributes"`
	// The contact's company, found or created as UpsertCompany does when CompanyName or
	// BusinessID is given. CompanyCountry (or else Country) decides how BusinessID is validated
	// and fills the company's country when it has none. CompanyWebsite and CompanyLocation
	// replace the company's values (empty keeps them). Without a company name or business ID,
	// CompanyCountry, CompanyWebsite and CompanyLocation are ignored.
	CompanyName     string `json:"company_name"`
	BusinessID      string `json:"business_id"`
	CompanyCountry  string `json:"company_country"`
	CompanyWebsite  string `json:"company_website"`  // kept as written ("www.example.fi"); no whitespace
	CompanyLocation string `json:"company_location"` // e.g. the town of the head office
}

// contactRow is a validated, normalised ContactInput, ready for upsertContacts.
type contactRow struct {
	in      ContactInput
	company companyRow // zero when no company is named
	attrs   []byte     // in.Attributes as a JSON object
	// Set by CSV import only: record a ban / a consent unless the contact already has one.
	ban, consent bool
}

func (in ContactInput) normalize() (contactRow, error) {
	email, err := normalizeEmail(in.Email)
	if err != nil {
		return contactRow{}, invalidEmail("email", err)
	}
	out := ContactInput{Email: email, Country: normalizeCountry(in.Country)}
	fields := []struct {
		name      string
		src       string
		dst       *string
		multiline bool
	}{
		{"first_name", in.FirstName, &out.FirstName, false},
		{"last_name", in.LastName, &out.LastName, false},
		{"job_title", in.JobTitle, &out.JobTitle, false},
		{"academic_title", in.AcademicTitle, &out.AcademicTitle, false},
		{"segment", in.Segment, &out.Segment, false},
		{"country", out.Country, &out.Country, false},
		{"phone", in.Phone, &out.Phone, false},
		{"postal_address", in.PostalAddress, &out.PostalAddress, true},
		{"customer_number", in.CustomerNumber, &out.CustomerNumber, false},
		{"lead_id", in.LeadID, &out.LeadID, false},
		{"company", in.CompanyName, &out.CompanyName, false},
	}
	for _, f := range fields {
		if *f.dst, err = cleanText(f.name, f.src, f.multiline); err != nil {
			return contactRow{}, err
		}
	}
	if out.Kind, err = parseKind(string(in.Kind)); err != nil {
		return contactRow{}, err
	}
	if out.Tracking, err = parseTracking(in.Tracking); err != nil {
		return contactRow{}, err
	}
	var r contactRow
	if r.attrs, err = marshalAttributes(in.Attributes); err != nil {
		return contactRow{}, err
	}
	out.Attributes = in.Attributes
	if out.CompanyName != "" || strings.TrimSpace(in.BusinessID) != "" {
		country := in.CompanyCountry
		if strings.TrimSpace(country) == "" {
			country = out.Country
		}
		co := CompanyInput{Name: out.CompanyName, BusinessID: in.BusinessID, Country: country}
		if co.Website, err = cleanWebsite("company_website", in.CompanyWebsite); err != nil {
			return contactRow{}, err
		}
		if co.Location, err = cleanText("company_location", in.CompanyLocation, false); err != nil {
			return contactRow{}, err
		}
		if r.company, err = co.normalize(); err != nil {
			return contactRow{}, err
		}
		out.BusinessID, out.CompanyCountry = r.company.BusinessID, r.company.Country
		out.CompanyWebsite, out.CompanyLocation = r.company.Website, r.company.Location
	}
	r.in = out
	return r, nil
}

// merge applies a later row for the same email over r, as if the two were upserted in turn.
func (r *contactRow) merge(later contactRow) {
	for _, p := range [][2]*string{
		{&r.in.FirstName, &later.in.FirstName}, {&r.in.LastName, &later.in.LastName},
		{&r.in.JobTitle, &later.in.JobTitle}, {&r.in.AcademicTitle, &later.in.AcademicTitle},
		{&r.in.Segment, &later.in.Segment}, {&r.in.Country, &later.in.Country},
		{&r.in.Phone, &later.in.Phone}, {&r.in.PostalAddress, &later.in.PostalAddress},
		{&r.in.CustomerNumber, &later.in.CustomerNumber}, {&r.in.LeadID, &later.in.LeadID},
		{&r.in.Tracking, &later.in.Tracking},
	} {
		if *p[1] != "" {
			*p[0] = *p[1]
		}
	}
	if later.in.Kind != "" {
		r.in.Kind = later.in.Kind
	}
	if later.company != (companyRow{}) {
		r.company = later.company
	}
	if len(later.in.Attributes) > 0 {
		merged := maps.Clone(r.in.Attributes)
		if merged == nil {
			merged = map[string]any{}
		}
		maps.Copy(merged, later.in.Attributes)
		r.in.Attributes = merged
		r.attrs, _ = json.Marshal(merged) // both halves marshalled once already
	}
	r.ban = r.ban || later.ban
	r.consent = r.consent || later.consent
}

// cleanText trims s and refuses what PostgreSQL text cannot hold (NUL, invalid UTF-8) and, in
// single-line fields that may end up in headers, line breaks and other control characters.
func cleanText(field, s string, multiline bool) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", invalid(field, "not valid UTF-8 text")
	}
	for _, r := range s {
		if r == 0 || r < 0x20 && r != '\t' && !(multiline && (r == '\n' || r == '\r')) {
			return "", invalid(field, "contains control character %U", r)
		}
	}
	return s, nil
}

// cleanWebsite is cleanText for a website, which may not contain whitespace either. It is kept
// as written: a register holds "www.example.fi" as often as "https://example.fi/".
func cleanWebsite(field, s string) (string, error) {
	s, err := cleanText(field, s, false)
	if err != nil {
		return "", err
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return "", invalid(field, "contains whitespace")
	}
	return s, nil
}

func parseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case "", B2B, B2C:
		return k, nil
	}
	return "", invalid("kind", "%q is neither b2b nor b2c", s)
}

func parseTracking(s string) (string, error) {
	switch t := strings.ToLower(strings.TrimSpace(s)); t {
	case "", TrackingIndividual, TrackingAggregate, TrackingOff:
		return t, nil
	}
	return "", invalid("tracking", "%q is not one of individual, aggregate, off", s)
}

func marshalAttributes(attrs map[string]any) ([]byte, error) {
	if len(attrs) == 0 {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return nil, invalid("attributes", "%v", err)
	}
	if hasEscapedNUL(b) {
		return nil, invalid("attributes", "contains a NUL character")
	}
	return b, nil
}

// hasEscapedNUL reports whether JSON text b holds the escape \u0000, which jsonb refuses.
func hasEscapedNUL(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if bytes.HasPrefix(b[i+1:], []byte("u0000")) {
			return true
		}
		i++ // skip the escaped character, so "\\u0000" (a backslash, then text) is not a NUL
	}
	return false
}
