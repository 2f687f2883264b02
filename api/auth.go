package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/kirje/kirje/access"
)

// caller is who is making the request.
type caller struct {
	user  access.User
	token access.Token
	ip    string // see clientIP
}

type callerKey struct{}

func withCaller(ctx context.Context, c caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerOf returns the authenticated caller; every route handler runs after authorize, so it is
// always there.
func callerOf(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c
}

// actor is the name recorded as having made a change: the calling user's.
func actor(r *http.Request) string { return callerOf(r.Context()).user.Name }

// authorize authenticates the bearer token and checks that its user's role grants perm. When it
// returns false it has answered: 401 (with WWW-Authenticate, RFC 6750) or 403.
func (a *API) authorize(w http.ResponseWriter, r *http.Request, perm access.Permission) (caller, bool) {
	const realm = `Bearer realm="kirje"`
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", realm)
		writeError(w, http.StatusUnauthorized, "a bearer token is required (Authorization: Bearer kirje_…)", nil)
		return caller{}, false
	}
	ip := clientIP(r, a.trustProxy)
	u, t, err := a.users.AuthenticateFrom(r.Context(), token, ip)
	if errors.Is(err, access.ErrUnauthenticated) {
		w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "the token is invalid, revoked, or its user is disabled", nil)
		return caller{}, false
	}
	if err != nil {
		a.fail(w, r, err)
		return caller{}, false
	}
	if !u.Can(perm) {
		w.Header().Set("WWW-Authenticate", realm+`, error="insufficient_scope"`)
		writeError(w, http.StatusForbidden, "role "+string(u.Role)+" does not grant "+string(perm), nil)
		return caller{}, false
	}
	return caller{user: u, token: t, ip: ip}, true
}

// bearer extracts the token of an "Authorization: Bearer TOKEN" header (scheme case-insensitive).
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// clientIP is where the request came from, for the audit record: the last X-Forwarded-For entry
// when the API sits behind one trusted proxy (the entry that proxy appended; earlier ones are
// whatever the client claimed), otherwise the connection's peer. "" when unknown.
func clientIP(r *http.Request, trustProxy bool) string {
	if v := r.Header.Values("X-Forwarded-For"); trustProxy && len(v) > 0 {
		last := v[len(v)-1]
		if i := strings.LastIndexByte(last, ','); i >= 0 {
			last = last[i+1:]
		}
		if ip, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
			return ip.Unmap().WithZone("").String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().WithZone("").String()
	}
	return ""
}
