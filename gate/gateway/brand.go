package gateway

import (
	"net/http"

	"github.com/authgate/authgate/gate/web"
)

// The brand of a protected site: its title on every gate page, in the
// browser tab and on the phone's request card; its logo and accent
// colour, served by the gate under {prefix}/brand/.

// siteTitle names the site a request arrived at: its configured title,
// else its app id, else its host.
func (rt *Route) siteTitle(r *http.Request) string {
	if t := rt.brand.Title(); t != "" {
		return t
	}
	if rt.appID != "" {
		return rt.appID
	}
	return hostOnly(r.Host)
}

// site describes the site for the page templates.
func (rt *Route) site(r *http.Request) web.Site {
	p := rt.gw.cfg.Prefix
	s := web.Site{Title: rt.siteTitle(r), Host: hostOnly(r.Host), ThemeColor: rt.brand.Accent()}
	if v := rt.brand.LogoVersion(); v != "" {
		s.LogoURL = p + "/brand/logo?v=" + v
	}
	if v := rt.brand.CSSVersion(); v != "" {
		s.CSSURL = p + "/brand/accent.css?v=" + v
	}
	return s
}

// render shows a page with the brand of the site the request arrived at.
func (g *Gateway) render(w http.ResponseWriter, r *http.Request, status int, name, title, script string, data any) {
	rt := routeOf(r)
	if rt == nil {
		g.pages.Render(w, status, name, title, script, data)
		return
	}
	g.pages.RenderSite(w, rt.site(r), status, name, title, script, data)
}

// handleBrandLogo is GET /brand/logo: the site's logo, 404 without one.
func (g *Gateway) handleBrandLogo(w http.ResponseWriter, r *http.Request) {
	if rt := routeOf(r); rt != nil {
		rt.brand.ServeLogo(w, r)
		return
	}
	http.NotFound(w, r)
}

// handleBrandCSS is GET /brand/accent.css: the site's accent colours,
// 404 without an accent.
func (g *Gateway) handleBrandCSS(w http.ResponseWriter, r *http.Request) {
	if rt := routeOf(r); rt != nil {
		rt.brand.ServeCSS(w, r)
		return
	}
	http.NotFound(w, r)
}
