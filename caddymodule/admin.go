package caddymodule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func init() {
	caddy.RegisterModule(adminAPI{})
}

// adminAPI serves authgate's routes on Caddy's admin endpoint, so
// operators can enrol devices even with the in-memory store.
type adminAPI struct {
	ctx caddy.Context
}

// CaddyModule returns the Caddy module information.
func (adminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.authgate", New: func() caddy.Module { return new(adminAPI) }}
}

// Provision keeps the config's context to find the running app.
func (a *adminAPI) Provision(ctx caddy.Context) error {
	a.ctx = ctx
	return nil
}

// Routes lists the admin endpoints.
func (a *adminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/authgate/enroll", Handler: caddy.AdminHandlerFunc(a.handleEnroll)},
	}
}

// app returns the running authgate app, looked up per request because
// the admin endpoint is provisioned before the apps are.
func (a *adminAPI) app() (*App, error) {
	v, err := a.ctx.AppIfConfigured("authgate")
	if err != nil {
		return nil, caddy.APIError{HTTPStatus: http.StatusNotFound, Err: errors.New("authgate is not configured")}
	}
	app := v.(*App)
	if app.gw == nil {
		return nil, caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: errors.New("authgate is not running")}
	}
	return app, nil
}

// enrollRequest is the body of POST /authgate/enroll.
type enrollRequest struct {
	Email   string `json:"email"`
	BaseURL string `json:"base_url,omitempty"`
}

// enrollResponse is its answer.
type enrollResponse struct {
	Email     string    `json:"email"`
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expires_at"`
}

// handleEnroll makes a one-time enrolment link.
func (a *adminAPI) handleEnroll(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use POST")}
	}
	app, err := a.app()
	if err != nil {
		return err
	}
	var req enrollRequest
	if err := decodeAdminJSON(r, &req); err != nil {
		return err
	}
	base := strings.TrimRight(req.BaseURL, "/")
	if base == "" {
		base = strings.TrimRight(app.PublicURL, "/")
	}
	if base == "" {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest,
			Err: errors.New("base_url is required (or set public_url in the authgate options)")}
	}
	link, exp, err := app.gw.EnrollmentLink(r.Context(), base+app.gw.Prefix(), req.Email)
	if err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
	}
	return writeAdminJSON(w, enrollResponse{Email: strings.ToLower(strings.TrimSpace(req.Email)), Link: link, ExpiresAt: exp})
}

func decodeAdminJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("malformed JSON body: %w", err)}
	}
	return nil
}

func writeAdminJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

// Interface guards.
var (
	_ caddy.AdminRouter = (*adminAPI)(nil)
	_ caddy.Provisioner = (*adminAPI)(nil)
)
