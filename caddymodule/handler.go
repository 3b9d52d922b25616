package caddymodule

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/gate/gateway"
	"github.com/authgate/authgate/gate/policy"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler protects a site with push-to-approve login. It serves the gate
// under the gate path and lets only logged-in users that its rules allow
// through to the next handler, with identity headers set.
type Handler struct {
	// AppID names the protected app in login requests and events.
	AppID string `json:"app_id,omitempty"`
	// Allow lists who may reach the site; empty allows every logged-in
	// user.
	Allow policy.Rules `json:"allow,omitzero"`
	// AccessEvents emits an access event for every granted request (denied
	// ones always emit).
	AccessEvents bool `json:"access_events,omitempty"`
	// Public lists path prefixes anyone may reach without logging in;
	// client-sent identity headers are still removed on them.
	Public []string `json:"public,omitempty"`
	// Brand is the site's title, logo and accent colour; unset options
	// take the global block's.
	Brand BrandConfig `json:"brand,omitzero"`
	// APIKeys says which credentials the site takes: "on" (default:
	// session cookies and API keys), "off" (cookies only) or "only" (API
	// keys only: an API site that never sends anyone to the login page).
	APIKeys string `json:"api_keys,omitempty"`

	route *gateway.Route
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.authgate", New: func() caddy.Module { return new(Handler) }}
}

// Provision binds the handler to the global authgate app.
func (h *Handler) Provision(ctx caddy.Context) error {
	appVal, err := ctx.App("authgate")
	if err != nil {
		return fmt.Errorf("authgate handler: loading authgate app: %w", err)
	}
	if err := h.Brand.expand(newExpander()); err != nil {
		return fmt.Errorf("authgate handler: %w", err)
	}
	keys, err := gateway.ParseAPIKeyMode(h.APIKeys)
	if err != nil {
		return fmt.Errorf("authgate handler: %w", err)
	}
	h.route, err = appVal.(*App).Gateway().Route(gateway.RouteConfig{
		AppID: h.AppID, Rules: h.Allow, ClientIP: clientIP, AccessEvents: h.AccessEvents, Public: h.Public,
		APIKeys: keys, Brand: h.Brand.config(),
	})
	if err != nil {
		return fmt.Errorf("authgate directive (app_id %q): %w", h.AppID, err)
	}
	return nil
}

// ServeHTTP hands the request to the gateway with Caddy's next handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	return h.route.ServeHTTP(w, r, next)
}

// clientIP is the client address as Caddy determined it, honouring only
// the configured trusted proxies.
func clientIP(r *http.Request) string {
	ip, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	return ip
}

// forwardedHTTPS reports whether the request came from one of Caddy's
// trusted proxies and that proxy's X-Forwarded-Proto says https. The
// last value counts: it is the one the nearest proxy, the trusted one,
// added to any the client sent.
func forwardedHTTPS(r *http.Request) bool {
	trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool)
	if !trusted {
		return false
	}
	values := r.Header.Values("X-Forwarded-Proto")
	if len(values) == 0 {
		return false
	}
	list := strings.Split(values[len(values)-1], ",")
	return strings.EqualFold(strings.TrimSpace(list[len(list)-1]), "https")
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
