package caddymodule

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/gateway"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/web"
)

func init() {
	caddy.RegisterModule(adminAPI{})
}

// adminAPI serves authgate's routes on Caddy's admin endpoint, so
// operators can enrol, list and revoke devices and sessions even with the
// in-memory store:
//
//	POST   /authgate/enroll              {"email", "base_url"?} → link, QR code
//	GET    /authgate/devices?email=E     the user's devices
//	DELETE /authgate/devices/{id}        revoke a device
//	GET    /authgate/sessions?email=E    the user's sessions
//	DELETE /authgate/sessions/{id}       revoke a session on every instance
//	GET    /authgate/audit?email=&type=&since=&until=&limit=   the audit trail
//
// the unblock and access-pass routes of admin_fallback.go, the API key
// routes of admin_apikeys.go, and the webhook routes of admin_webhooks.go.
type adminAPI struct{}

// CaddyModule returns the Caddy module information.
func (adminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.authgate", New: func() caddy.Module { return new(adminAPI) }}
}

// Routes lists the admin endpoints.
func (a *adminAPI) Routes() []caddy.AdminRoute {
	routes := []caddy.AdminRoute{
		{Pattern: "/authgate/enroll", Handler: caddy.AdminHandlerFunc(a.handleEnroll)},
		{Pattern: "/authgate/devices", Handler: caddy.AdminHandlerFunc(a.handleDevices)},
		{Pattern: "/authgate/devices/", Handler: caddy.AdminHandlerFunc(a.handleDevice)},
		{Pattern: "/authgate/sessions", Handler: caddy.AdminHandlerFunc(a.handleSessions)},
		{Pattern: "/authgate/sessions/", Handler: caddy.AdminHandlerFunc(a.handleSession)},
		{Pattern: "/authgate/audit", Handler: caddy.AdminHandlerFunc(a.handleAudit)},
		// Any other path under /authgate/ is a JSON 404 like the others,
		// not the admin endpoint's plain-text page.
		{Pattern: "/authgate/", Handler: caddy.AdminHandlerFunc(func(http.ResponseWriter, *http.Request) error {
			return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: errors.New("no such authgate admin endpoint")}
		})},
	}
	routes = append(routes, a.statusRoutes()...)
	routes = append(routes, a.apiKeyRoutes()...)
	routes = append(routes, a.fallbackRoutes()...)
	return append(routes, a.webhookRoutes()...)
}

// app returns the running authgate app, looked up per request because
// the admin endpoint is provisioned before the apps are.
func (a *adminAPI) app() (*App, error) {
	// The running config's app, not that of the config this router came
	// with: Caddy sets up a new config's admin routes before its apps, and
	// keeps them when the apps then fail to start, while the old config
	// goes on serving.
	v, err := caddy.ActiveContext().AppIfConfigured("authgate")
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

// enrollResponse is its answer. QRPNG is the link as a QR code, a
// data: URL of a PNG image, ready for an <img> or a browser's address bar.
type enrollResponse struct {
	Email     string    `json:"email"`
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expires_at"`
	QRPNG     string    `json:"qr_png,omitempty"`
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
			Err: errors.New("base_url (caddy authgate enroll --base) is required, or set public_url in the authgate options")}
	}
	if err := checkEnrolBase(base); err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
	}
	link, exp, err := app.gw.EnrollmentLink(r.Context(), base+app.gw.Prefix(), req.Email)
	if err != nil {
		return adminError(err)
	}
	resp := enrollResponse{Email: policy.CanonicalEmail(req.Email), Link: link, ExpiresAt: exp}
	if png, err := web.QRPNG(link, 6); err == nil {
		resp.QRPNG = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	}
	return writeAdminJSON(w, resp)
}

// checkEnrolBase refuses an enrolment link's base that is not the
// address of a site: an http or https URL with a host, and no user info,
// query or fragment (the link's token follows it in a fragment).
func checkEnrolBase(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(base, "?") || strings.HasSuffix(base, "#") {
		return fmt.Errorf("base_url %q: want the site's address, http:// or https:// and a host (https://app.example.com)", base)
	}
	return nil
}

// deviceView is a device as the admin API shows it (no key material).
type deviceView struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`
	UserAgent string    `json:"user_agent,omitempty"`
	// Notifications says whether the phone has a push subscription.
	Notifications bool `json:"notifications"`
}

// viewDevice returns the admin API's view of d.
func viewDevice(d *store.Device) deviceView {
	return deviceView{ID: d.ID, Email: d.Email, Name: d.Name, CreatedAt: d.CreatedAt, LastUsed: d.LastUsed, UserAgent: d.UserAgent,
		Notifications: d.Push != nil}
}

// sessionView is a session as the admin API shows it.
type sessionView struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	DeviceID  string    `json:"device_id"`
	AppID     string    `json:"app_id"`
	ClientIP  string    `json:"client_ip"`
	Browser   string    `json:"browser"`
	UserAgent string    `json:"user_agent"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// devicesResponse is the answer of GET /authgate/devices.
type devicesResponse struct {
	Email   string       `json:"email"`
	Devices []deviceView `json:"devices"`
}

// sessionsResponse is the answer of GET /authgate/sessions.
type sessionsResponse struct {
	Email    string        `json:"email"`
	Sessions []sessionView `json:"sessions"`
}

// userQuery checks a GET of one user's records (?email=) and returns the
// running app and the canonical email.
func (a *adminAPI) userQuery(r *http.Request) (*App, string, error) {
	if r.Method != http.MethodGet {
		return nil, "", caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use GET")}
	}
	app, err := a.app()
	if err != nil {
		return nil, "", err
	}
	return app, policy.CanonicalEmail(r.URL.Query().Get("email")), nil
}

// handleDevices lists a user's devices.
func (a *adminAPI) handleDevices(w http.ResponseWriter, r *http.Request) error {
	app, email, err := a.userQuery(r)
	if err != nil {
		return err
	}
	devices, err := app.gw.ListDevices(r.Context(), email)
	if err != nil {
		return adminError(err)
	}
	resp := devicesResponse{Email: email, Devices: make([]deviceView, 0, len(devices))}
	for _, d := range devices {
		resp.Devices = append(resp.Devices, viewDevice(d))
	}
	return writeAdminJSON(w, resp)
}

// handleSessions lists a user's sessions.
func (a *adminAPI) handleSessions(w http.ResponseWriter, r *http.Request) error {
	app, email, err := a.userQuery(r)
	if err != nil {
		return err
	}
	sessions, err := app.gw.ListSessions(r.Context(), email)
	if err != nil {
		return adminError(err)
	}
	resp := sessionsResponse{Email: email, Sessions: make([]sessionView, 0, len(sessions))}
	for _, s := range sessions {
		resp.Sessions = append(resp.Sessions, sessionView{
			ID: s.ID, Email: s.Email, DeviceID: s.DeviceID, AppID: s.AppID, ClientIP: s.ClientIP,
			Browser: web.BrowserName(s.UserAgent), UserAgent: s.UserAgent, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt,
		})
	}
	return writeAdminJSON(w, resp)
}

// handleDevice revokes one device: DELETE /authgate/devices/{id}.
func (a *adminAPI) handleDevice(w http.ResponseWriter, r *http.Request) error {
	return a.revoke(w, r, "/authgate/devices/", "device", func(app *App, id string) error {
		return namedError("device", id, app.gw.RevokeDevice(r.Context(), id))
	})
}

// handleSession revokes one session: DELETE /authgate/sessions/{id}.
// An id whose record is gone is revoked all the same (the answer says
// so): the store may have lost the record while its cookie lives on.
func (a *adminAPI) handleSession(w http.ResponseWriter, r *http.Request) error {
	var rev gateway.SessionRevocation
	return a.revoke(w, r, "/authgate/sessions/", "session", func(app *App, id string) error {
		var err error
		rev, err = app.gw.RevokeSession(r.Context(), id)
		return err
	}, func(resp *revokeResponse) {
		resp.Until = rev.Until
		if !rev.Found {
			resp.Note = "no record of this session was found (it ended, or the store lost it); " +
				"its id is revoked all the same, for a whole session lifetime"
		}
	})
}

// revokeResponse is the answer of a revocation.
type revokeResponse struct {
	Revoked string    `json:"revoked"`
	ID      string    `json:"id"`
	Until   time.Time `json:"until,omitzero"`
	Note    string    `json:"note,omitempty"`
}

// revoke answers DELETE prefix{id} by calling do with the id; each of
// then may add to the answer.
func (a *adminAPI) revoke(w http.ResponseWriter, r *http.Request, prefix, what string, do func(*App, string) error, then ...func(*revokeResponse)) error {
	if r.Method != http.MethodDelete {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use DELETE")}
	}
	id := strings.TrimPrefix(r.URL.Path, prefix)
	if id == "" || strings.Contains(id, "/") {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("want %s<%s id>", prefix, what)}
	}
	app, err := a.app()
	if err != nil {
		return err
	}
	if err := do(app, id); err != nil {
		return adminError(err)
	}
	resp := revokeResponse{Revoked: what, ID: id}
	for _, f := range then {
		f(&resp)
	}
	return writeAdminJSON(w, resp)
}

// adminError maps a gateway error to an admin API answer: 400 for a
// malformed email, 404 for an unknown id, 503 for an unreachable store,
// 500 for anything else.
func adminError(err error) error {
	var named caddy.APIError
	if errors.As(err, &named) {
		return named
	}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, flow.ErrInvalidEmail), errors.Is(err, gateway.ErrInvalidSessionID):
		status = http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrUnavailable):
		return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: err, Message: "the store cannot be reached; try again"}
	}
	return caddy.APIError{HTTPStatus: status, Err: err}
}

// namedError turns a store's not-found and unreachable errors about one
// record into words that name the record ("no such device dev_…"), for
// operators; the API's status still says which it was.
func namedError(what, id string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return caddy.APIError{HTTPStatus: http.StatusNotFound, Err: err, Message: "no such " + what + " " + id}
	case errors.Is(err, store.ErrUnavailable):
		return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: err, Message: "the store cannot be reached; try again"}
	}
	return err
}

// decodeAdminJSON parses the request's JSON body into v strictly, in the
// words the gate's own endpoints use: a body over gateway.MaxBodyBytes is
// a 413 whatever it holds (the whole body is read, so padding after the
// value counts), and an unknown field or anything but white space after
// the one value is a 400.
func decodeAdminJSON(r *http.Request, v any) error {
	body, err := gateway.ReadBody(r)
	if errors.Is(err, gateway.ErrBodyTooLarge) {
		return caddy.APIError{HTTPStatus: http.StatusRequestEntityTooLarge, Err: err}
	}
	if err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
	}
	if err := gateway.DecodeJSON(body, v); err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
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
)
