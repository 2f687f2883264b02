package api

import (
	"net/http"

	"github.com/kirje/kirje/access"
)

// RouteInfo is a row of the route table as tests see it.
type RouteInfo struct {
	Pattern string
	Perm    access.Permission
	Audit   string
}

// Routes returns the route table of a handler New made: every route it serves.
func Routes(h http.Handler) []RouteInfo {
	var out []RouteInfo
	for _, rt := range h.(*API).routes {
		out = append(out, RouteInfo{Pattern: rt.pattern, Perm: rt.perm, Audit: rt.audit})
	}
	return out
}
