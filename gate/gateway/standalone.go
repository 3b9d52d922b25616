package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/apps"
	"github.com/authgate/authgate/gate/token"
)

// ServerConfig configures a standalone gate: a site that is the gate
// itself, for apps that integrate from the AuthGate guide.
type ServerConfig struct {
	// Apps are the apps the gate serves, with their browser origins and
	// bearer keys.
	Apps []apps.App
	// AdminKey, when set, is a bearer key that may register webhook
	// receivers for any app.
	AdminKey string
	// ClientIP returns the request's client address as the server trusts
	// it (the adapter reads Caddy's client_ip).
	ClientIP func(*http.Request) string
	// Webhooks registers receivers for POST /api/webhooks; nil answers
	// 503 there.
	Webhooks WebhookRegistrar
	// AllowPrivateWebhooks lets receivers registered through
	// /api/webhooks be on loopback and private addresses. Off, they may
	// only be delivered to public addresses, so an app's key cannot aim
	// the gate at services on its own network.
	AllowPrivateWebhooks bool
}

// WebhookRequest is a receiver to register for an app.
type WebhookRequest struct {
	AppID  string   `json:"app_id"`
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
	Format string   `json:"format,omitempty"`
	// PublicOnly limits deliveries to public addresses.
	PublicOnly bool `json:"-"`
}

// Webhook is a registered receiver, with its secret (shown once).
type Webhook struct {
	ID     string   `json:"id"`
	AppID  string   `json:"app_id,omitempty"`
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events,omitempty"`
	Format string   `json:"format,omitempty"`
}

// ErrInvalidWebhook is wrapped by a WebhookRegistrar's errors about the
// request itself (bad URL, unknown event or format): a 400.
var ErrInvalidWebhook = errors.New("invalid webhook")

// WebhookRegistrar adds webhook receivers at run time (the adapter keeps
// them in Caddy's storage, so every instance and restart knows them).
type WebhookRegistrar interface {
	RegisterWebhook(ctx context.Context, req WebhookRequest) (Webhook, error)
}

// Server is a standalone gate. At its root it serves the AuthGate
// guide's paths (POST /auth/start, GET /auth/check/{id}, GET
// /auth/verify, POST /api/webhooks, /app leading to the approver) for API clients
// and browsers at the apps' origins; under the gate path it serves the
// whole gate as on a protected site, and the drop-in widget at
// <gate path>/widget.js. It never passes a request on.
type Server struct {
	gw    *Gateway
	route *Route
	apps  *apps.Registry
	// tokens mints and verifies each app's tokens: audience
	// "authgate-app:<id>", so a token handed to an app is never a session
	// cookie and names the app it was made for.
	tokens     map[string]*token.Manager
	webhooks   WebhookRegistrar
	publicOnly bool
	mux        *http.ServeMux
}

// AppAudience is the audience of the tokens the standalone gate hands to
// app id's clients.
func AppAudience(id string) string { return "authgate-app:" + id }

// Server returns the handler of a standalone gate site.
func (g *Gateway) Server(cfg ServerConfig) (*Server, error) {
	reg, err := apps.New(cfg.Apps, cfg.AdminKey)
	if err != nil {
		return nil, fmt.Errorf("standalone gate: %w", err)
	}
	rt, err := g.Route(RouteConfig{ClientIP: cfg.ClientIP})
	if err != nil {
		return nil, fmt.Errorf("standalone gate: %w", err)
	}
	s := &Server{gw: g, route: rt, apps: reg, tokens: map[string]*token.Manager{},
		webhooks: cfg.Webhooks, publicOnly: !cfg.AllowPrivateWebhooks}
	for _, id := range reg.IDs() {
		m, err := token.NewManager(token.Config{Issuer: g.cfg.Issuer, Audience: AppAudience(id), Keys: g.keys})
		if err != nil {
			return nil, fmt.Errorf("standalone gate: tokens of app %s: %w", id, err)
		}
		s.tokens[id] = m
	}
	s.mux = s.routes()
	return s, nil
}

// routes maps the guide's root paths to handlers.
func (s *Server) routes() *http.ServeMux {
	g := s.gw
	m := http.NewServeMux()
	m.HandleFunc("POST /auth/start", s.handleStart)
	m.HandleFunc("GET /auth/check/{id}", s.handleCheck)
	m.HandleFunc("GET /auth/events/{id}", s.handleEvents)
	m.HandleFunc("GET /auth/verify", s.handleVerify)
	for _, p := range []string{"/auth/start", "/auth/check/{id}", "/auth/events/{id}", "/auth/verify"} {
		m.HandleFunc("OPTIONS "+p, s.handlePreflight)
	}
	m.HandleFunc("POST /api/webhooks", s.handleRegisterWebhook)
	// The guide's /app leads to the approver under the gate path: its
	// service worker and web app manifest are scoped there, so a page
	// served at /app could never turn on notifications or be installed.
	// A redirect keeps the fragment of an enrolment link.
	m.HandleFunc("GET /app", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, g.cfg.Prefix+"/app", http.StatusFound)
	})
	m.HandleFunc("GET "+g.cfg.Prefix+"/widget.js", g.pages.ServeWidget)
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, g.cfg.Prefix+"/", http.StatusFound)
	})
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint")
	})
	return m
}

// ServeHTTP answers every request: the gate under its path, the guide's
// API at the root. A panic in a handler becomes a 500 without details.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := s.gw
	if underPrefix(r.URL.Path, g.cfg.Prefix) && r.URL.Path != g.cfg.Prefix+"/widget.js" {
		g.serveGate(w, r, s.route)
		return
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			g.log.Error("standalone gate handler panicked", zapPath(r), zap.Any("panic", v))
			writeError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	r = r.WithContext(context.WithValue(r.Context(), routeKey{}, s.route))
	s.mux.ServeHTTP(w, r)
}
