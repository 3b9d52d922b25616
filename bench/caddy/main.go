// Command caddy is the benchmark's Caddy: cmd/caddy (Caddy with the
// authgate plugin) plus bench_noop, a handler that does nothing but call
// the next one. The benchmark puts it in front of the same reverse_proxy
// to measure what Caddy charges any middleware, so that authgate's own
// cost can be told apart from it. It is not part of the product.
package main

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/authgate/authgate/caddymodule"
)

func init() {
	caddy.RegisterModule(Noop{})
	httpcaddyfile.RegisterHandlerDirective("bench_noop", func(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
		var n Noop
		return n, n.UnmarshalCaddyfile(h.Dispenser)
	})
	// Where authgate runs, so the two stand in the same place.
	httpcaddyfile.RegisterDirectiveOrder("bench_noop", httpcaddyfile.Before, "basic_auth")
}

// Noop is the middleware that does nothing: it calls the next handler.
type Noop struct{}

// CaddyModule returns the module information.
func (Noop) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.bench_noop", New: func() caddy.Module { return Noop{} }}
}

// ServeHTTP calls next.
func (Noop) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	return next.ServeHTTP(w, r)
}

// UnmarshalCaddyfile takes the bare directive; it has no options.
func (Noop) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next()
	if d.NextArg() || d.NextBlock(0) {
		return d.ArgErr()
	}
	return nil
}

var (
	_ caddyhttp.MiddlewareHandler = Noop{}
	_ caddyfile.Unmarshaler       = Noop{}
)

func main() {
	caddycmd.Main()
}
