package gateway

import (
	"net/http"
	"strings"
)

// corsMaxAge is how long a browser may keep a preflight's answer.
const corsMaxAge = "600"

// foreignOrigin returns the Origin of a browser request from another
// origin than the gate's own (by scheme, host and port, as the gate's
// pages compare them), "" for same-origin requests and for clients that
// send no Origin (scripts and servers, which carry no browser
// credentials). ok is false for a request a browser marks cross-site
// without naming its origin, which is refused.
func (s *Server) foreignOrigin(r *http.Request) (origin string, ok bool) {
	o := r.Header.Get("Origin")
	if o == "" {
		return "", r.Header.Get("Sec-Fetch-Site") != "cross-site"
	}
	if s.gw.sameOrigin(r) {
		return "", true
	}
	return o, true
}

// allowCORS lets the browser at origin read this answer. It never
// allows credentials: API logins carry their proof in the session handle,
// not in cookies, so no answer is ever shared with "*" or with cookies.
func allowCORS(w http.ResponseWriter, origin string) {
	w.Header().Set("Access-Control-Allow-Origin", origin)
}

// handlePreflight answers a CORS preflight of the guide's API: only for
// an origin some app lists, only GET and POST with a Content-Type
// header. Anything else gets 403 without CORS headers, which the browser
// reads as "blocked". The request that follows is checked again against
// the app it names.
func (s *Server) handlePreflight(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	w.Header().Add("Vary", "Origin")
	if origin == "" || !s.apps.KnownOrigin(origin) || (method != http.MethodGet && method != http.MethodPost) ||
		!onlyContentType(r.Header.Get("Access-Control-Request-Headers")) {
		writeError(w, http.StatusForbidden, "origin not allowed")
		return
	}
	allowCORS(w, origin)
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
}

// onlyContentType reports whether a preflight asks for no header but
// Content-Type.
func onlyContentType(list string) bool {
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name != "" && !strings.EqualFold(name, "content-type") {
			return false
		}
	}
	return true
}

// originFor checks a request against the origins of app id: it reports
// false (having answered 403) for a browser at an origin the app does not
// list, and sets the CORS headers for one it does.
func (s *Server) originFor(w http.ResponseWriter, r *http.Request, id string) bool {
	w.Header().Add("Vary", "Origin")
	origin, ok := s.foreignOrigin(r)
	if !ok {
		writeError(w, http.StatusForbidden, "cross-site request refused")
		return false
	}
	if origin == "" {
		return true
	}
	if !s.apps.AllowsOrigin(id, origin) {
		writeError(w, http.StatusForbidden, "origin not allowed for this app")
		return false
	}
	allowCORS(w, origin)
	return true
}
