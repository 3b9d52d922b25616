package gateway

import (
	"net/http"
	"time"
)

// Cookie names. The session cookie takes the __Host- prefix on HTTPS when
// no cookie domain is set, so no subdomain can overwrite it.
const (
	cookieHostSession = "__Host-authgate"
	cookieSession     = "authgate_session"
	cookieBinding     = "authgate_bind"
)

// sessionCookieName returns the session cookie's name for a request.
func (g *Gateway) sessionCookieName(r *http.Request) string {
	if r.TLS != nil && g.cfg.CookieDomain == "" {
		return cookieHostSession
	}
	return cookieSession
}

// setSessionCookie sets the JWT cookie: HttpOnly, SameSite=Lax, Path=/,
// Secure on HTTPS, the configured domain for single sign-on.
func (g *Gateway) setSessionCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	c := &http.Cookie{
		Name: g.sessionCookieName(r), Value: token, Path: "/",
		Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	}
	if c.Name != cookieHostSession {
		c.Domain = g.cfg.CookieDomain
	}
	http.SetCookie(w, c)
}

// clearSessionCookie expires the session cookie in the browser.
func (g *Gateway) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	c := &http.Cookie{
		Name: g.sessionCookieName(r), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	}
	if c.Name != cookieHostSession {
		c.Domain = g.cfg.CookieDomain
	}
	http.SetCookie(w, c)
}

// setBindingCookie gives the starting browser its binding secret, sent
// back only to the gate's own paths and never cross-site.
func (g *Gateway) setBindingCookie(w http.ResponseWriter, r *http.Request, secret string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieBinding, Value: secret, Path: g.cfg.Prefix + "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}
