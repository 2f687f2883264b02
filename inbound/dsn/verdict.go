package dsn

import (
	"fmt"
	"strconv"
	"strings"
)

// Verdict is what a returned message means for one recipient (see the package doc).
type Verdict string

// Verdicts. The strings are printed by `kirje inbound process` and stored in events.
const (
	Hard         Verdict = "hard"
	Soft         Verdict = "soft"
	Block        Verdict = "block"
	Delayed      Verdict = "delayed"
	Complaint    Verdict = "complaint"
	Unsubscribe  Verdict = "unsubscribe"
	Unclassified Verdict = "unclassified"
)

// Code is an RFC 3463 enhanced status code, class.subject.detail: class 2 success, 4 transient,
// 5 permanent; subject 1 address, 2 mailbox, 3 mail system, 4 network and routing, 5 protocol,
// 6 content, 7 security and policy. The zero Code means none.
type Code struct {
	Class, Subject, Detail int
}

// IsZero reports whether c is no code.
func (c Code) IsZero() bool { return c.Class == 0 }

// String formats c as "5.1.1", or "" for the zero Code.
func (c Code) String() string {
	if c.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", c.Class, c.Subject, c.Detail)
}

// ParseCode reads an enhanced status code at the start of s ("5.1.1", "4.2.2 (mailbox full)").
// It reports false unless s starts with class 2, 4 or 5 and two numbers of up to three digits.
func ParseCode(s string) (Code, bool) {
	s = strings.TrimSpace(s)
	end := strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
	if end >= 0 {
		s = s[:end]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Code{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || p == "" || len(p) > 3 {
			return Code{}, false
		}
		n[i] = v
	}
	if n[0] != 2 && n[0] != 4 && n[0] != 5 {
		return Code{}, false
	}
	return Code{n[0], n[1], n[2]}, true
}
