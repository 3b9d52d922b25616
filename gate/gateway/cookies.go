package gateway

import (
	"net/http"
	"strings"
	"time"
)

// Cookie names. The session cookie takes the __Host- prefix on HTTPS when
// no cookie domain is set, so no subdomain can overwrite it.
const (
	cookieHostSession = "__Host-authgate"
	cookieSession     = "authgate_session"
	cookieHostBinding = "__Host-authgate_bind"
	cookieBinding     = "authgate_bind"
)

// sessionCookieName returns the session cookie's name for a request.
func (g *Gateway) sessionCookieName(r *http.Request) string {
	if g.viaHTTPS(r) && g.cookieDomain(r) == "" {
		return cookieHostSession
	}
	return cookieSession
}

// cookieDomain is the Domain of the session cookie for r: the configured
// cookie domain when r's host is under it, else none, so that a site the
// browser reaches some other way (by an IP address) keeps a cookie of its
// own host rather than one the browser refuses to store.
func (g *Gateway) cookieDomain(r *http.Request) string {
	if g.cfg.CookieDomain == "" {
		return ""
	}
	host := r.Host
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	if g.underCookieDomain(host) {
		return g.cfg.CookieDomain
	}
	return ""
}

// setSessionCookie sets the JWT cookie: HttpOnly, SameSite=Lax, Path=/,
// Secure on HTTPS, the configured domain for single sign-on.
func (g *Gateway) setSessionCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	c := &http.Cookie{
		Name: g.sessionCookieName(r), Value: token, Path: "/",
		Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, Secure: g.viaHTTPS(r), SameSite: http.SameSiteLaxMode,
	}
	if c.Name != cookieHostSession {
		c.Domain = g.cookieDomain(r)
	}
	http.SetCookie(w, c)
}

// clearSessionCookie expires the session cookie in the browser.
func (g *Gateway) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	c := &http.Cookie{
		Name: g.sessionCookieName(r), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: g.viaHTTPS(r), SameSite: http.SameSiteLaxMode,
	}
	if c.Name != cookieHostSession {
		c.Domain = g.cookieDomain(r)
	}
	http.SetCookie(w, c)
}

// bindingCookieName returns the binding cookie's name for a request: on
// HTTPS it takes the __Host- prefix, so no subdomain and no plain-HTTP
// page can plant or overwrite it.
func (g *Gateway) bindingCookieName(r *http.Request) string {
	if g.viaHTTPS(r) {
		return cookieHostBinding
	}
	return cookieBinding
}

// bindingSecret returns the binding secret the browser sent, or "".
func (g *Gateway) bindingSecret(r *http.Request) string {
	return cookieValue(r.Header, g.bindingCookieName(r))
}

// setBindingCookie gives the starting browser its binding secret, never
// sent cross-site. On plain HTTP it is sent back only to the gate's own
// paths; on HTTPS the __Host- prefix requires Path=/, and the gateway
// removes it from every request it passes upstream.
func (g *Gateway) setBindingCookie(w http.ResponseWriter, r *http.Request, secret string, ttl time.Duration) {
	c := &http.Cookie{
		Name: g.bindingCookieName(r), Value: secret, Path: g.cfg.Prefix + "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: g.viaHTTPS(r), SameSite: http.SameSiteStrictMode,
	}
	if c.Name == cookieHostBinding {
		c.Path = "/"
	}
	http.SetCookie(w, c)
}
