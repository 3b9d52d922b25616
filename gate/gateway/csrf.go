package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
)

// csrfToken derives the anti-forgery token of a session from its cookie
// value, which another site cannot read: every instance computes the same
// token without shared state.
func csrfToken(sessionCookie string) string {
	sum := sha256.Sum256([]byte("authgate-csrf-v1|" + sessionCookie))
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// csrfOK reports whether a state-changing request carries the session's
// token (form field csrf or header X-Authgate-CSRF) and does not come
// from another site.
func (g *Gateway) csrfOK(r *http.Request, sessionCookie string) bool {
	if !g.sameOrigin(r) || sessionCookie == "" {
		return false
	}
	got := r.Header.Get("X-Authgate-CSRF")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(sessionCookie))) == 1
}

// sameOrigin refuses requests a browser marks as cross-site, and requests
// whose Origin is not the site's own: another host, another port, or, on
// a site reached over HTTPS, plain HTTP (a page on the site's plain-HTTP
// twin is another origin).
// Clients that send neither header (scripts, devices) pass: they carry
// no ambient browser credentials.
func (g *Gateway) sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	raw := r.Header.Get("Origin")
	if raw == "" {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false // "null" among them
	}
	o, site := hostOrigin(u.Scheme, u.Host), g.requestOrigin(r)
	if o == site {
		return true
	}
	// Reached over plain HTTP with no trusted proxy saying otherwise, the
	// gate cannot tell a proxy that ends TLS it was not told of from none:
	// an https page of the same host is then the site's own.
	return !g.viaHTTPS(r) && o.scheme == "https" && o.host == site.host
}
