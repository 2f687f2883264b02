package register

import (
	"fmt"
	"strings"
)

// parse turns one record into a validated row or a rejection.
func (rr *rowReader) parse(rec []string) parsedRow {
	var p parsedRow
	var in ContactInput
	var ban, consent string
	for i, v := range rec {
		if i >= len(rr.cols) {
			break
		}
		c := rr.cols[i]
		if c.field == "" {
			if err := addAttribute(&in, c.attr, v); err != nil && p.reason == "" {
				p.reason = err.Error()
			}
			continue
		}
		switch c.field {
		case "email":
			p.email = reportable(v)
			in.Email = v
		case "kind":
			in.Kind = Kind(v)
		case "banned":
			ban = v
		case "consent":
			consent = v
		default:
			*in.textField(c.field) = v
		}
	}
	if len(rec) != len(rr.cols) {
		p.reason = fmt.Sprintf("row has %d fields but the header has %d", len(rec), len(rr.cols))
	}
	if p.reason != "" {
		return p
	}
	row, err := in.normalize()
	if err == nil {
		row.ban, err = yesNo("banned", ban)
	}
	if err == nil {
		row.consent, err = yesNo("consent", consent)
	}
	if err != nil {
		p.reason = err.Error()
		return p
	}
	p.row = row
	return p
}

// textField returns the ContactInput field a CSV column fills (field names as csvField gives).
func (in *ContactInput) textField(field string) *string {
	switch field {
	case "first_name":
		return &in.FirstName
	case "last_name":
		return &in.LastName
	case "job_title":
		return &in.JobTitle
	case "academic_title":
		return &in.AcademicTitle
	case "segment":
		return &in.Segment
	case "country":
		return &in.Country
	case "phone":
		return &in.Phone
	case "postal_address":
		return &in.PostalAddress
	case "company":
		return &in.CompanyName
	case "business_id":
		return &in.BusinessID
	case "company_website":
		return &in.CompanyWebsite
	case "company_location":
		return &in.CompanyLocation
	case "customer_number":
		return &in.CustomerNumber
	case "lead_id":
		return &in.LeadID
	}
	panic("register: no contact field " + field) // csvField and this switch disagree
}

// addAttribute stores a non-empty cell of an unknown column as a string attribute.
func addAttribute(in *ContactInput, key, v string) error {
	v, err := cleanText(key, v, true)
	if err != nil || v == "" {
		return err
	}
	if in.Attributes == nil {
		in.Attributes = map[string]any{}
	}
	in.Attributes[key] = v
	return nil
}

// yesNo reads a banned / consent cell: empty or a no leaves the state alone (an import never
// lifts a ban or withdraws a consent); a yes records one.
func yesNo(field, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "n", "no", "false", "e", "ei":
		return false, nil
	case "1", "y", "yes", "true", "x", "k", "kyllä":
		return true, nil
	}
	return false, invalid(field, "%q: want yes or no", reportable(v))
}

// reportable makes a cell safe and short enough to show in an error report.
func reportable(v string) string {
	v = strings.ToValidUTF8(strings.TrimSpace(v), "\uFFFD")
	if len(v) > 254 {
		v = strings.ToValidUTF8(v[:254], "") + "…"
	}
	return v
}
