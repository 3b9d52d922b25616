package caddymodule

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/gate/apps"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("authgate_server", parseServer)
	httpcaddyfile.RegisterDirectiveOrder("authgate_server", httpcaddyfile.Before, "basic_auth")
}

// parseServer sets up a standalone gate from Caddyfile tokens. Syntax:
//
//	authgate_server {
//	    admin_key <key>
//	    allow_private_webhooks
//	    app <app_id> {
//	        origins <scheme://host[:port]...>
//	        secret <key>
//	    }
//	}
func parseServer(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	s := new(Server)
	h.Next() // the directive's name
	if h.NextArg() {
		return nil, h.ArgErr()
	}
	seen := map[string]bool{}
	for h.NextBlock(0) {
		switch opt := h.Val(); opt {
		case "admin_key":
			if err := placeholderArg(h.Dispenser, &s.AdminKey); err != nil {
				return nil, err
			}
		case "allow_private_webhooks":
			if h.NextArg() {
				return nil, h.ArgErr()
			}
			s.AllowPrivateWebhooks = true
		case "app":
			var a ServerApp
			if !h.NextArg() {
				return nil, h.ArgErr()
			}
			a.ID = h.Val()
			if h.NextArg() {
				return nil, h.ArgErr()
			}
			if seen[a.ID] {
				return nil, h.Errf("app %q: listed twice", a.ID)
			}
			seen[a.ID] = true
			for nesting := h.Nesting(); h.NextBlock(nesting); {
				switch sub := h.Val(); sub {
				case "origins":
					origins := h.RemainingArgs()
					if len(origins) == 0 {
						return nil, h.ArgErr()
					}
					for _, o := range origins {
						if err := checkPlaceholderSources(h.Dispenser, sub, o); err != nil {
							return nil, err
						}
						if hasPlaceholder(o) {
							continue
						}
						if _, err := apps.NormalizeOrigin(o); err != nil {
							return nil, h.Errf("app %s: %v", a.ID, err)
						}
					}
					a.Origins = append(a.Origins, origins...)
				case "secret":
					if err := placeholderArg(h.Dispenser, &a.Secret); err != nil {
						return nil, err
					}
				default:
					return nil, h.Errf("unrecognized authgate_server app option '%s'", sub)
				}
			}
			s.Apps = append(s.Apps, a)
		default:
			return nil, h.Errf("unrecognized authgate_server option '%s'", opt)
		}
	}
	return s, nil
}
