// Package spreadsheet keeps CSV cells that people open in spreadsheets inert: a cell that starts
// with =, +, -, @, a tab or a carriage return is run as a formula by Excel, LibreOffice and
// Google Sheets, so free text in an export (an SMTP reply, a staff note, an imported field) must
// not start that way (OWASP "CSV injection").
package spreadsheet

import "strings"

// triggers are the first characters a spreadsheet evaluates.
const triggers = "=+-@\t\r"

// Defuse returns s with a leading apostrophe when a spreadsheet would evaluate it; spreadsheets
// show such a cell as text without the apostrophe.
func Defuse(s string) string {
	if s != "" && strings.ContainsRune(triggers, rune(s[0])) {
		return "'" + s
	}
	return s
}

// Restore undoes Defuse, for reading back a file Kirje wrote: an apostrophe followed by a trigger
// is dropped, anything else is left as it is.
func Restore(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.ContainsRune(triggers, rune(s[1])) {
		return s[1:]
	}
	return s
}
