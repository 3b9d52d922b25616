package gateway

import "net/http"

// viaHTTPS reports whether the browser reached r over HTTPS: on this
// connection, or at a trusted proxy in front that says so.
func (g *Gateway) viaHTTPS(r *http.Request) bool {
	return r.TLS != nil || (g.cfg.ForwardedHTTPS != nil && g.cfg.ForwardedHTTPS(r))
}
