package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Policy says which endpoints subscriptions may reach. The zero Policy is the safe one: public
// HTTPS endpoints only.
type Policy struct {
	// AllowPrivate lets endpoints be on loopback, private, link-local and other non-public
	// addresses: an endpoint inside the same network as Kirje. Off, a subscription cannot be
	// used to probe the internal network or a cloud metadata service.
	AllowPrivate bool
	// AllowLoopbackHTTP accepts plain http:// URLs whose host is a loopback address (localhost,
	// 127.0.0.0/8, ::1), and lets connections reach loopback, for development and tests.
	AllowLoopbackHTTP bool
	// Resolver looks names up (default net.DefaultResolver).
	Resolver *net.Resolver
}

// blockedPrefixes are non-public ranges beyond what netip.Addr's predicates name.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

// public reports whether ip is an ordinary public unicast address.
func public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// allowed reports whether the policy lets a connection reach ip.
func (p Policy) allowed(ip netip.Addr) bool {
	switch {
	case public(ip), p.AllowPrivate:
		return true
	case p.AllowLoopbackHTTP:
		return ip.Unmap().IsLoopback()
	}
	return false
}

// CheckURL validates an endpoint URL against the policy, resolving its host. The error wraps
// ErrInvalid and says what is wrong.
func (p Policy) CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: %q is not an absolute URL", ErrInvalid, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: the URL must not carry credentials (it is stored and shown)", ErrInvalid)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("%w: the URL must not have a fragment", ErrInvalid)
	}
	host := u.Hostname()
	switch u.Scheme {
	case "https":
	case "http":
		if !p.AllowLoopbackHTTP || !loopbackName(host) {
			return nil, fmt.Errorf("%w: the URL must be https", ErrInvalid)
		}
	default:
		return nil, fmt.Errorf("%w: the URL must be https", ErrInvalid)
	}
	ips, err := p.resolve(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("%w: %s does not resolve: %v", ErrInvalid, host, err)
	}
	for _, ip := range ips {
		if !p.allowed(ip) {
			return nil, fmt.Errorf("%w: %s resolves to %s, which is not a public address", ErrInvalid, host, ip)
		}
	}
	return u, nil
}

func loopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

func (p Policy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	r := p.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err == nil && len(ips) == 0 {
		err = errors.New("no addresses")
	}
	return ips, err
}

// errBlocked refuses a connection the policy does not allow.
var errBlocked = errors.New("webhook: the endpoint's address is not allowed")

// control checks the address of every connection as it is made, after DNS resolution: a check
// of the URL alone would let a name resolve to a public address when added and to an internal
// one later.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errBlocked, address)
	}
	if !p.allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", errBlocked, ap.Addr())
	}
	return nil
}
