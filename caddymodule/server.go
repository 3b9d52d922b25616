package caddymodule

import (
	"fmt"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/authgate/authgate/gate/apps"
	"github.com/authgate/authgate/gate/gateway"
)

func init() {
	caddy.RegisterModule(Server{})
}

// Server makes a site the gate itself (a standalone gate): the AuthGate
// integration guide's API at the site's root (POST /auth/start, GET
// /auth/check/{id}, GET /auth/verify, POST /api/webhooks, the approver
// at /app), the gate's pages under the gate path, and the drop-in widget
// at <gate path>/widget.js. It answers every request itself.
type Server struct {
	// Apps are the apps that integrate with this gate.
	Apps []ServerApp `json:"apps,omitempty"`
	// AdminKey is a bearer key that may register webhook receivers for
	// any app through POST /api/webhooks.
	AdminKey string `json:"admin_key,omitempty"`
	// AllowPrivateWebhooks lets receivers registered through
	// /api/webhooks be on loopback and private addresses (default: public
	// addresses only).
	AllowPrivateWebhooks bool `json:"allow_private_webhooks,omitempty"`

	server *gateway.Server
}

// ServerApp is one app of a standalone gate.
type ServerApp struct {
	// ID is the app_id of the app's logins and events.
	ID string `json:"id"`
	// Origins are the browser origins that may call the API for this app
	// (CORS): scheme://host[:port], never "*".
	Origins []string `json:"origins,omitempty"`
	// Secret is the app's bearer key: it may register webhook receivers
	// of this app's events.
	Secret string `json:"secret,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Server) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.authgate_server", New: func() caddy.Module { return new(Server) }}
}

// Provision expands placeholders in keys and origins and builds the
// standalone gate on the global authgate app.
func (s *Server) Provision(ctx caddy.Context) error {
	e := newExpander()
	if err := e.into("authgate_server admin_key", &s.AdminKey); err != nil {
		return err
	}
	list := make([]apps.App, 0, len(s.Apps))
	for i := range s.Apps {
		a := &s.Apps[i]
		if err := e.into("authgate_server app "+a.ID+" secret", &a.Secret); err != nil {
			return err
		}
		for j := range a.Origins {
			if err := e.into("authgate_server app "+a.ID+" origins", &a.Origins[j]); err != nil {
				return err
			}
		}
		list = append(list, apps.App{ID: a.ID, Origins: a.Origins, Secret: a.Secret})
	}
	appVal, err := ctx.App("authgate")
	if err != nil {
		return fmt.Errorf("authgate_server: loading authgate app: %w", err)
	}
	app := appVal.(*App)
	s.server, err = app.Gateway().Server(gateway.ServerConfig{
		Apps: list, AdminKey: s.AdminKey, ClientIP: clientIP,
		Webhooks: app.webhooks, AllowPrivateWebhooks: s.AllowPrivateWebhooks,
	})
	if err != nil {
		return fmt.Errorf("authgate_server: %w", err)
	}
	return nil
}

// ServeHTTP answers the request; nothing is passed on.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	s.server.ServeHTTP(w, r)
	return nil
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Server)(nil)
	_ caddyhttp.MiddlewareHandler = (*Server)(nil)
)
