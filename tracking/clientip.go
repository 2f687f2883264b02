package tracking

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// clientIP returns the client's address: the last X-Forwarded-For entry when the handler sits
// behind one trusted proxy (that entry is the one the proxy appended; earlier ones are whatever
// the client claimed), otherwise the connection's peer. The zero Addr means unknown.
func clientIP(r *http.Request, trustProxy bool) netip.Addr {
	if trustProxy {
		if v := r.Header.Values("X-Forwarded-For"); len(v) > 0 {
			last := v[len(v)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				return ip.Unmap().WithZone("")
			}
		}
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().WithZone("")
	}
	return netip.Addr{}
}

// storedIP is the form of ip kept on events and opt-outs: "" when unknown, the /24 (IPv4) or /48
// (IPv6) network address when truncating.
func storedIP(ip netip.Addr, truncate bool) string {
	if !ip.IsValid() {
		return ""
	}
	if truncate {
		bits := 48
		if ip.Is4() {
			bits = 24
		}
		p, err := ip.Prefix(bits)
		if err == nil {
			ip = p.Addr()
		}
	}
	return ip.String()
}

// maxUserAgent bounds the stored user agent, in bytes.
const maxUserAgent = 512

// storedUA makes a user agent safe to store: valid UTF-8 (PostgreSQL text refuses anything
// else, and one bad event must not block a batch), no control characters, at most maxUserAgent
// bytes cut at a character boundary.
func storedUA(ua string) string {
	clean := len(ua) <= maxUserAgent
	for i := 0; clean && i < len(ua); i++ {
		clean = ua[i] >= 0x20 && ua[i] < 0x7f
	}
	if clean {
		return ua
	}
	ua = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ToValidUTF8(ua, ""))
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
		for !utf8.ValidString(ua) { // at most three bytes of a cut character
			ua = ua[:len(ua)-1]
		}
	}
	return ua
}
