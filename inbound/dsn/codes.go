package dsn

import "regexp"

// enhancedInText finds an enhanced status code inside free text: not part of a longer dotted
// number (an IP address such as 10.5.1.1 or 5.1.1.3), optionally in qmail's "(#5.1.1)" form.
var enhancedInText = regexp.MustCompile(`(?:^|[^0-9.])([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:$|[^0-9.]|\.(?:$|[^0-9]))`)

// replyInText finds a basic SMTP reply code: three digits starting 4 or 5, followed by a space,
// a hyphen (multi-line replies) or the end, and not part of a longer number.
var replyInText = regexp.MustCompile(`(?:^|[^0-9.])([45][0-9][0-9])(?:[ -]|$)`)

// findCode returns the first enhanced status code in text.
func findCode(text string) (Code, bool) {
	m := enhancedInText.FindStringSubmatch(text)
	if m == nil {
		return Code{}, false
	}
	return ParseCode(m[1])
}

// findReplyClass returns the class (4 or 5) of the first basic SMTP reply code in text, or 0.
func findReplyClass(text string) int {
	m := replyInText.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	return int(m[1][0] - '0')
}

// codeFor decides the code that describes a recipient: the reported Status, unless it is absent
// or only says its class (X.0.0), in which case an enhanced code of the same class in the
// diagnostic text is more precise. With no enhanced code anywhere, a basic reply code gives the
// class alone.
func codeFor(status, diagnostic string) (Code, bool) {
	code, ok := ParseCode(status)
	if ok && (code.Subject != 0 || code.Detail != 0) {
		return code, true
	}
	if d, found := findCode(diagnostic); found && (!ok || d.Class == code.Class) {
		return d, true
	}
	if ok {
		return code, true
	}
	if class := findReplyClass(diagnostic); class != 0 {
		return Code{Class: class}, true
	}
	return Code{}, false
}
