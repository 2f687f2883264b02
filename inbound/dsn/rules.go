package dsn

import (
	"regexp"
	"sync"
)

// rule recognises a diagnostic text. Rules are tried in order; the first match decides.
type rule struct {
	name    string
	verdict Verdict
	re      *regexp.Regexp
}

func r(name string, v Verdict, pattern string) rule {
	return rule{name, v, regexp.MustCompile(`(?i)` + pattern)}
}

// textRules classify diagnostics whose status code does not decide (none, X.0.0, 5.3.x, 5.5.x…).
// Strong signs of a missing mailbox come first, then signs that the sender or message was
// refused (a policy text that also mentions the recipient is still a block), then transient
// conditions, and last the weak "mailbox unavailable" wording, which RFC 5321 suggests for any 550.
// The rules are compiled once, on first use; callers only read the slice.
var textRules = sync.OnceValue(func() []rule {
	return []rule{
		r("text-access-denied-dbeb", Hard, `recipient address rejected: access denied`), // Microsoft 365 directory-based edge blocking: no such recipient
		r("text-user-unknown", Hard, `user(name)? unknown|unknown (user|recipient|local[- ]part|mailbox|address)|no such (user|recipient|mailbox|address|account)|user (does not exist|not found|doesn't exist)|recipient (unknown|not found|does not exist)|recipientnotfound|recipnotfound|address (not found|unknown|does not exist|doesn't exist)|mailbox (not found|does not exist|doesn't exist|unknown|not exist)|no mailbox here|not a valid (mailbox|recipient|user)|invalid (recipient|mailbox|user)\b|account (has been |is )?(disabled|deactivated|closed|suspended|terminated)|unrouteable address|no longer (active|in use|available)|email account that you tried to reach (does not exist|is disabled)|address couldn't be found|couldn't be found|could not be found`),
		r("text-no-such-domain", Hard, `host or domain name not found|domain (not found|does not exist)|no such domain|name service error.*host not found|nxdomain|no mx (record|host)`),
		r("text-block", Block, `block ?list|blacklist|blocked|spamhaus|spamcop|barracuda|sorbs|\bspam\b|junk mail|reputation|policy|not authori[sz]ed|authentication (required|failed)|dmarc|\bspf\b|\bdkim\b|access denied|banned|content rejected|message (content )?rejected|too many (messages|connections|recipients)|rate limit|relay(ing)? (access )?denied|relay not permitted|greylist|unsolicited|suspicious|virus`),
		r("text-mailbox-full", Soft, `mailbox (is )?full|over ?quota|quota (exceeded|exceed)|exceeded (the )?(storage|quota)|insufficient (system )?storage|out of storage|storage (space )?(is )?full|mailbox size limit`),
		r("text-transient", Soft, `try again later|temporar(y|ily)|timed? ?out|connection refused|retry time(out)? (not reached|exceeded)|deferred|too busy|service (not available|unavailable)|could not connect|network is unreachable`),
		r("text-mailbox-unavailable", Hard, `mailbox (is )?unavailable|mailbox (is )?inactive|invalid address`),
	}
})

// byText classifies a diagnostic by textRules, or returns def with rule name "default".
func byText(text string, def Verdict, only ...Verdict) (Verdict, string) {
	for _, ru := range textRules() {
		if len(only) > 0 && !contains(only, ru.verdict) {
			continue
		}
		if ru.re.MatchString(text) {
			return ru.verdict, ru.name
		}
	}
	return def, "default"
}

func contains(vs []Verdict, v Verdict) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
