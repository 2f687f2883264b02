package dsn

import (
	"bytes"
	"strings"
)

// field is one "Name: value" line, unfolded; name is lower-case.
type field struct {
	name, value string
}

// group is a block of fields, as in a delivery-status body or a header.
type group []field

// get returns the first value of name (lower-case), or "".
func (g group) get(name string) string {
	for _, f := range g {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// all returns every value of name (lower-case).
func (g group) all(name string) []string {
	var out []string
	for _, f := range g {
		if f.name == name {
			out = append(out, f.value)
		}
	}
	return out
}

// has reports whether any of names is present.
func (g group) has(names ...string) bool {
	for _, n := range names {
		for _, f := range g {
			if f.name == n {
				return true
			}
		}
	}
	return false
}

// parseGroups reads RFC 822-style field blocks separated by blank lines, leniently: continuation
// lines are unfolded, lines that are not fields are skipped, and at most maxGroups are read.
func parseGroups(b []byte, maxGroups int) []group {
	var (
		groups []group
		cur    group
	)
	flush := func() {
		if len(cur) > 0 {
			groups = append(groups, cur)
			cur = nil
		}
	}
	for _, line := range splitLines(b) {
		switch {
		case len(strings.TrimSpace(line)) == 0:
			flush()
			if len(groups) >= maxGroups {
				return groups
			}
		case (line[0] == ' ' || line[0] == '\t') && len(cur) > 0:
			last := &cur[len(cur)-1]
			if len(last.value) < 8*maxDiagnostic {
				last.value += " " + strings.TrimSpace(line)
			}
		default:
			if f, ok := parseField(line); ok {
				cur = append(cur, f)
			}
		}
	}
	flush()
	if len(groups) > maxGroups {
		groups = groups[:maxGroups]
	}
	return groups
}

// scanHeader reads the header block at the start of b (up to the first blank line) leniently.
func scanHeader(b []byte) group {
	b = bytes.TrimLeft(b, "\r\n")
	if end := headerEnd(b); end >= 0 {
		b = b[:end]
	}
	gs := parseGroups(b, 1)
	if len(gs) == 0 {
		return nil
	}
	return gs[0]
}

// headerEnd returns the index of the blank line ending a header block, or -1.
func headerEnd(b []byte) int {
	i := bytes.Index(b, []byte("\n\n"))
	j := bytes.Index(b, []byte("\n\r\n"))
	switch {
	case i < 0:
		return j
	case j < 0 || i < j:
		return i
	}
	return j
}

func parseField(line string) (field, bool) {
	name, value, ok := strings.Cut(line, ":")
	if !ok || name == "" || len(name) > 76 {
		return field{}, false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 127 {
			return field{}, false
		}
	}
	return field{name: strings.ToLower(name), value: strings.TrimSpace(value)}, true
}

// splitLines splits on LF, dropping a CR before it.
func splitLines(b []byte) []string {
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}
