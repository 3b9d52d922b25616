package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/authgate/authgate/gate/brand"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/token"
)

// Next is the handler after the gateway, in the shape of Caddy's
// middleware chain (any type with this method fits, so the adapter passes
// Caddy's next handler without wrapping it).
type Next interface {
	ServeHTTP(http.ResponseWriter, *http.Request) error
}

// Route protects one site: it serves the gate under the prefix and lets
// only logged-in users allowed by its policy through to next.
type Route struct {
	gw     *Gateway
	appID  string
	policy *policy.Policy
	// clientIP returns the request's client address as the server trusts
	// it (the adapter reads Caddy's client_ip, never a raw header).
	clientIP func(*http.Request) string
	// accessEvents, when set, emits an access event per decision.
	accessEvents bool
	// public lists path prefixes served without login (identity headers
	// still stripped).
	public []string
	// brand is the site's brand, with the global one's options where the
	// site sets none.
	brand *brand.Brand
	// keys says whether API keys, session cookies or both are accepted.
	keys APIKeyMode
}

// RouteConfig is the per-site configuration (the authgate directive).
type RouteConfig struct {
	AppID        string
	Rules        policy.Rules
	ClientIP     func(*http.Request) string
	AccessEvents bool
	// Public lists paths that anyone may reach without logging in, each
	// with what lies below it by whole segments, as Caddy's path matcher
	// reads them: "/health" is /health and /health/…, never /healthz;
	// "/static/" and "/static/*" are what lies below /static/. The
	// identity headers are still stripped, so the upstream can never be
	// told a spoofed identity.
	Public []string
	// Brand is the site's title, logo and accent colour; unset options
	// take the global Config.Brand's.
	Brand brand.Config
	// APIKeys says whether the site accepts API keys as well as session
	// cookies (the default), refuses them, or accepts only them.
	APIKeys APIKeyMode
}

// Route returns the handler for one protected site.
func (g *Gateway) Route(cfg RouteConfig) (*Route, error) {
	p, err := policy.New(cfg.Rules)
	if err != nil {
		return nil, err
	}
	ip := cfg.ClientIP
	if ip == nil {
		ip = remoteIP
	}
	public := make([]string, 0, len(cfg.Public))
	for _, prefix := range cfg.Public {
		if err := CheckPublicPath(prefix); err != nil {
			return nil, err
		}
		prefix = strings.TrimSuffix(prefix, "*")
		if underPrefix(prefix, g.cfg.Prefix) || strings.HasPrefix(g.cfg.Prefix, strings.TrimSuffix(prefix, "/")+"/") {
			return nil, fmt.Errorf("public path %q overlaps the gate path %s", prefix, g.cfg.Prefix)
		}
		public = append(public, prefix)
	}
	b, err := brand.Load(cfg.Brand)
	if err != nil {
		return nil, fmt.Errorf("site brand: %w", err)
	}
	return &Route{gw: g, appID: cfg.AppID, policy: p, clientIP: ip, accessEvents: cfg.AccessEvents,
		public: public, keys: cfg.APIKeys,
		brand: brand.Merge(b, g.brand)}, nil
}

// ServeHTTP serves the gate itself for paths under the prefix (never
// passed on). Public paths go to next with every client-sent identity
// header, an API key and the gateway's cookies removed. A request with
// an API key (Authorization: Bearer ag_…) is served by serveKey; a site
// that accepts only keys answers every
// other request 401, and a key in the query string is refused. Every
// other request needs a valid, unrevoked session token allowed by the
// policy: it goes to next with client-sent identity
// headers replaced by the gateway's and the gateway's cookie removed;
// anything else is answered here (login redirect, 401, 403 or 503) and
// never reaches next. With a valid cookie and a warm cache it makes no
// store round trip.
func (rt *Route) ServeHTTP(w http.ResponseWriter, r *http.Request, next Next) error {
	g := rt.gw
	if underPrefix(r.URL.Path, g.cfg.Prefix) {
		// The gate answers these itself and never passes them on; its
		// device API reads X-Authgate-* request headers.
		g.serveGate(w, r, rt)
		return nil
	}
	if keyInQuery(r.URL.RawQuery) {
		rt.keyRefused(w, "API keys are accepted only in the Authorization header, never in a URL")
		return nil
	}
	if rt.isPublic(r.URL) {
		return rt.passPublic(w, r, next)
	}
	g.awaitFirstSync(r.Context())
	if raw, ok := bearerKey(r.Header["Authorization"]); ok {
		return rt.serveKey(w, r, next, raw)
	}
	if rt.keys == APIKeysOnly {
		rt.keyRequired(w)
		return nil
	}
	cookieName := g.sessionCookieName(r)
	raw := cookieValue(r.Header, cookieName)
	if raw == "" {
		rt.unauthenticated(w, r, false)
		return nil
	}
	now := time.Now()
	v, err := g.tokens.Verify(raw, now)
	if err != nil {
		rt.unauthenticated(w, r, true)
		return nil
	}
	switch g.revocations.Check(v.SessionID, v.Email, v.Generation, v.Epoch, now) {
	case token.Revoked:
		rt.unauthenticated(w, r, true)
		return nil
	case token.Stale:
		g.unavailable(w, r, "sessions cannot be checked right now")
		return nil
	}
	if !rt.policy.Allows(v.Email, v.Groups) {
		rt.emitAccess(r, v, false)
		g.forbidden(w, r, v.Email)
		return nil
	}
	h := r.Header
	stripIdentityHeaders(h, true)
	stripIdentityTrailers(r)
	setIdentityHeaders(h, v.Email, v.GroupsHeader, HeaderSession, v.SessionID)
	removeGateCookies(h)
	if rt.accessEvents {
		rt.emitAccess(r, v, true)
	}
	return next.ServeHTTP(w, r)
}

// passPublic passes a request on without login and without anything the
// upstream could take for an identity: client-sent identity headers, an
// API key, a signed-in browser's session token or binding secret.
func (rt *Route) passPublic(w http.ResponseWriter, r *http.Request, next Next) error {
	stripIdentityHeaders(r.Header, false)
	stripIdentityTrailers(r)
	if _, ok := bearerKey(r.Header["Authorization"]); ok {
		delete(r.Header, "Authorization")
	}
	removeGateCookies(r.Header)
	return next.ServeHTTP(w, r)
}

// isPublic reports whether the request's path is under one of the public
// prefixes. A path that an upstream could read as another path is never
// public: one not in clean form ("/public/../admin", "//x"), or holding a
// backslash, a ";" (path parameters, as in Tomcat's "/public/..;/admin"),
// an encoded "/", "\" or "." ("%2f", "%5c", "%2e"), or a "%" left after
// decoding (a double encoding such as "%252e%252e").
func (rt *Route) isPublic(u *url.URL) bool {
	p := u.Path
	for _, prefix := range rt.public {
		if !publicUnder(p, prefix) {
			continue
		}
		if strings.ContainsAny(p, "\\;%") || hasEncodedSeparator(u.RawPath) || !plainPath(p) {
			return false
		}
		c := path.Clean(p)
		return c == p || strings.HasSuffix(p, "/") && c == p[:len(p)-1]
	}
	return false
}

// plainPath reports whether a decoded path is valid UTF-8 and holds no
// character that Unicode compatibility folding (NFKC, as some servers and
// frameworks apply to paths) turns into one a path check depends on: an
// overlong or invalid sequence, or a full-width "．" or "／", could become
// "." or "/" behind the gate.
func plainPath(p string) bool {
	for i := 0; i < len(p); {
		if p[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(p[i:])
		if r == utf8.RuneError || strings.ContainsAny(norm.NFKC.String(p[i:i+size]), "./\\;%") {
			return false
		}
		i += size
	}
	return true
}

// hasEncodedSeparator reports whether a raw (still encoded) path holds an
// encoded slash, backslash, dot or percent sign, in either case.
func hasEncodedSeparator(raw string) bool {
	for i := 0; i+2 < len(raw); i++ {
		if raw[i] != '%' {
			continue
		}
		switch strings.ToLower(raw[i+1 : i+3]) {
		case "2f", "5c", "2e", "25", "3b":
			return true
		}
	}
	return false
}

// CheckPublicPath reports why a public path is not one the gate can
// match, or nil: it must start with "/", and may end with "*" only as
// "/*" (what lies below a folder, as Caddy writes it).
func CheckPublicPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("public path %q must start with /", p)
	case strings.Contains(strings.TrimSuffix(p, "/*"), "*"):
		return fmt.Errorf("public path %q: a * is allowed only as the last segment, /*", p)
	}
	return nil
}

// publicUnder reports whether path is under a public prefix: below it
// when it ends with "/", else the prefix itself or below it by segments.
func publicUnder(path, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return underPrefix(path, prefix)
}

// underPrefix reports whether path is the prefix or below it.
func underPrefix(path, prefix string) bool {
	return strings.HasPrefix(path, prefix) && (len(path) == len(prefix) || path[len(prefix)] == '/')
}

// unauthenticated answers a request without a usable session: a browser
// navigating (GET or HEAD that accepts HTML) is sent to the login page
// with its URL to come back to; anything else gets 401 JSON. A rejected
// cookie is cleared so the browser stops sending it.
func (rt *Route) unauthenticated(w http.ResponseWriter, r *http.Request, clear bool) {
	g := rt.gw
	if clear {
		g.clearSessionCookie(w, r)
	}
	if wantsHTML(r) {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, g.loginURL(r.URL.RequestURI()), http.StatusFound)
		return
	}
	w.Header().Set("WWW-Authenticate", `Authgate realm="`+quoteSafe(rt.appID)+`", login_url="`+g.cfg.Prefix+`/login"`)
	writeError(w, http.StatusUnauthorized, "authentication required")
}

// wantsHTML reports whether the request is a browser navigation, which
// may be redirected to the login page.
func wantsHTML(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && acceptsHTML(r)
}

// acceptsHTML reports whether an answer should be a page rather than
// JSON: browsers submitting forms and navigating say so in Accept.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (rt *Route) emitAccess(r *http.Request, v *token.Verified, granted bool) {
	decision := "denied"
	if granted {
		decision = "granted"
	}
	rt.gw.events.Emit(r.Context(), event.New(event.Access, map[string]any{
		"app_id": rt.appID, "email": v.Email, "sid": v.SessionID,
		"method": r.Method, "path": eventPath(r), "ip": rt.clientIP(r), "decision": decision,
	}))
}

// quoteSafe drops characters that would break a quoted header parameter.
func quoteSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// remoteIP is the fallback client address: the TCP peer.
func remoteIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
