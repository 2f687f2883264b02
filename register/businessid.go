package register

import "strings"

// ValidYTunnus reports whether s is a Finnish business ID (Y-tunnus) in its canonical form
// "NNNNNNN-C" whose check digit C is right: with weights 7, 9, 10, 5, 8, 4, 2 over the seven
// digits and r = sum mod 11, C is 0 when r = 0 and 11 − r otherwise; r = 1 is never issued.
// It accepts no spaces and no old 6-digit form: NormalizeBusinessID does that.
func ValidYTunnus(s string) bool {
	if len(s) != 9 || s[7] != '-' {
		return false
	}
	weights := [7]int{7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		d := s[i]
		if d < '0' || d > '9' {
			return false
		}
		sum += int(d-'0') * w
	}
	c := s[8]
	if c < '0' || c > '9' {
		return false
	}
	check := 0
	switch r := sum % 11; r {
	case 0:
	case 1:
		return false
	default:
		check = 11 - r
	}
	return int(c-'0') == check
}

// NormalizeBusinessID returns id as the register stores it for a company in country.
//
// For Finland (country "FI", "FIN", "Finland" or "Suomi", any case), and for an empty country
// when id looks like a Y-tunnus (six or seven digits, hyphen, one digit), id must be a valid
// Y-tunnus; the old six-digit form is left-padded with a zero ("123456-7" → "0123456-7").
// Any other country's ID is returned trimmed, as given. An empty id returns "" (no ID).
// Errors are *FieldError for "business_id" (errors.Is ErrInvalid).
func NormalizeBusinessID(country, id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", nil
	}
	country = strings.TrimSpace(country)
	if !isFinland(country) && (country != "" || !looksLikeYTunnus(id)) {
		if strings.ContainsAny(id, "\r\n") {
			return "", invalid("business_id", "contains a line break")
		}
		return id, nil
	}
	if len(id) == 8 {
		id = "0" + id
	}
	if !ValidYTunnus(id) {
		return "", invalid("business_id", "%q is not a valid Finnish Y-tunnus (seven digits, a hyphen, the right check digit)", id)
	}
	return id, nil
}

func isFinland(country string) bool {
	switch strings.ToLower(country) {
	case "fi", "fin", "finland", "suomi":
		return true
	}
	return false
}

// looksLikeYTunnus: six or seven digits, a hyphen and one more character (digit or not, so a
// mistyped check character is reported rather than stored as a foreign ID).
func looksLikeYTunnus(id string) bool {
	n := len(id)
	if n != 8 && n != 9 || id[n-2] != '-' {
		return false
	}
	for i := 0; i < n-2; i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}
