package api

import (
	"net/http"
	"strings"
)

// noRoute answers a request no route matches. The mux's own handler decides between 404 and 405
// (and sets Allow); its plain-text answer is replaced with the API's JSON error. Anything else it
// would do (a redirect to a cleaned path) is passed through.
func (a *API) noRoute(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusNotFound:
		writeError(w, http.StatusNotFound, "no such route: "+r.URL.Path, nil)
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here; allowed: "+
			strings.ReplaceAll(probe.header.Get("Allow"), ",", ", "), nil)
	default:
		h.ServeHTTP(w, r)
	}
}

// statusProbe is a ResponseWriter that keeps only the status and headers.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }

func (p *statusProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *statusProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}
