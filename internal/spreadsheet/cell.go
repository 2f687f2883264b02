// Package spreadsheet keeps CSV cells that people open in spreadsheets inert: a cell that starts
// with =, +, -, @, a tab or a carriage return is run as a formula by Excel, LibreOffice and
// Google Sheets, so free text in an export (an SMTP reply, a staff note, an address's local part)
// must not start that way (OWASP "CSV injection").
package spreadsheet

import "strings"

// triggers are the first characters a spreadsheet evaluates.
const triggers = "=+-@\t\r"

// Defuse returns s with a leading apostrophe when a spreadsheet would evaluate it, or when it
// already starts with one (so that Restore can tell the two apart); spreadsheets show such a
// cell as text without the first apostrophe.
func Defuse(s string) string {
	if s != "" && (s[0] == '\'' || strings.IndexByte(triggers, s[0]) >= 0) {
		return "'" + s
	}
	return s
}

// Restore undoes Defuse, for reading back a file Kirje wrote: Restore(Defuse(s)) == s for every
// s. An apostrophe is dropped only before a trigger or another apostrophe; other text is left as
// it is.
func Restore(s string) string {
	if len(s) >= 2 && s[0] == '\'' && (s[1] == '\'' || strings.IndexByte(triggers, s[1]) >= 0) {
		return s[1:]
	}
	return s
}
