package caddymodule

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/gate/gateway"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/web"
	"github.com/authgate/authgate/gate/webhook"
)

// statusRoutes are the admin API's overview routes:
//
//	GET /authgate/status   store, revocations, outbox and receivers' health
//	GET /authgate/users    every user with a phone, a session or an API key: phones, sessions, keys, state
func (a *adminAPI) statusRoutes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/authgate/status", Handler: caddy.AdminHandlerFunc(a.handleStatus)},
		{Pattern: "/authgate/users", Handler: caddy.AdminHandlerFunc(a.handleUsers)},
	}
}

// statusResponse is the answer of GET /authgate/status. Healthy is
// whether logins can work: the store answers, revocations are fresh and
// the directory, when one is configured, answers.
type statusResponse struct {
	Healthy     bool             `json:"healthy"`
	Store       storeStatus      `json:"store"`
	Revocations revocationStatus `json:"revocations"`
	Outbox      outboxStatus     `json:"outbox"`
	Receivers   []receiverStatus `json:"receivers"`
	// Pushes is "enabled" or "not configured": whether this instance
	// sends Web Push notifications to phones.
	Pushes string `json:"pushes"`
	// Directory is there when a directory is configured.
	Directory *directoryStatus `json:"directory,omitempty"`
	// SettingsDiffer names the settings in which another instance on the
	// same store runs differently (see "Several instances" in the README).
	SettingsDiffer []string `json:"settings_differ,omitempty"`
}

type storeStatus struct {
	Type      string `json:"type"`
	Address   string `json:"address,omitempty"` // without a password
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
	// WriteError is why a store that answers refused a write (Redis
	// full under noeviction, a read-only replica): new logins fail.
	WriteError string `json:"write_error,omitempty"`
}

type directoryStatus struct {
	URL       string `json:"url"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}

type revocationStatus struct {
	Fresh    bool      `json:"fresh"`
	SyncedAt time.Time `json:"synced_at,omitzero"`
}

type outboxStatus struct {
	Depth int64  `json:"depth"`
	Held  int    `json:"held"`
	Error string `json:"error,omitempty"`
}

type receiverStatus struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Healthy     bool      `json:"healthy"`
	Disabled    bool      `json:"disabled"`
	LastFiredAt time.Time `json:"last_fired_at,omitzero"`
	LastStatus  int       `json:"last_status,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	Delivered   int64     `json:"delivered"`
	Failed      int64     `json:"failed"`
	Dead        int64     `json:"dead"`
}

// statusDeadline bounds GET /authgate/status as a whole: its checks of
// the store, the outbox, the receivers' shared health and the directory
// run at once, each within it, so a stalled Redis or directory makes the
// answer "unhealthy" after about a second instead of holding it.
const statusDeadline = time.Second

// handleStatus reports this instance's health; 200 either way (the
// answer says healthy or not).
func (a *adminAPI) handleStatus(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use GET")}
	}
	app, err := a.app()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), statusDeadline)
	defer cancel()
	d := app.webhooks.dispatcher
	var (
		wg        sync.WaitGroup
		h         gateway.Health
		depth     int64
		depthErr  error
		endpoints []webhook.EndpointStatus
		dirErr    error
		writeErr  error
	)
	wg.Go(func() { h = app.gw.Health(ctx) })
	if rs, ok := app.store.Store.(*redisstore.Store); ok {
		wg.Go(func() { writeErr = rs.CheckWrites(ctx) })
	}
	wg.Go(func() { depth, depthErr = d.Outbox().Depth(ctx) })
	wg.Go(func() { endpoints = d.EndpointsContext(ctx) })
	if app.directory != nil {
		wg.Go(func() { dirErr = app.directory.Ping(ctx) })
	}
	wg.Wait() // every check honours ctx's deadline

	resp := statusResponse{
		Store:          storeStatus{Type: "memory", Reachable: h.StoreError == "", Error: h.StoreError},
		Revocations:    revocationStatus{Fresh: h.RevocationsFresh, SyncedAt: h.RevocationsSynced},
		Receivers:      []receiverStatus{},
		Pushes:         "not configured",
		SettingsDiffer: app.agreement.differences(),
	}
	if app.push != nil {
		resp.Pushes = "enabled"
	}
	if app.Store != nil && app.Store.Type == "redis" {
		resp.Store.Type, resp.Store.Address = "redis", redactedURL(app.Store.URL)
	}
	resp.Outbox.Held = d.Held()
	if depthErr != nil {
		resp.Outbox.Error = "the outbox does not answer"
	} else {
		resp.Outbox.Depth = depth
	}
	for _, e := range endpoints {
		resp.Receivers = append(resp.Receivers, receiverStatus{
			ID: e.ID, URL: e.URL, Disabled: e.Disabled, LastFiredAt: e.LastFiredAt,
			LastStatus: e.LastStatus, LastError: e.LastError, Delivered: e.Delivered, Failed: e.Failed, Dead: e.Dead,
			Healthy: !e.Disabled && e.LastError == "" && (e.LastStatus == 0 || e.LastStatus/100 == 2),
		})
	}
	if resp.Store.Reachable && writeErr != nil {
		resp.Store.WriteError = writeErr.Error()
	}
	resp.Healthy = resp.Store.Reachable && resp.Store.WriteError == "" && resp.Revocations.Fresh
	if app.directory != nil {
		resp.Directory = &directoryStatus{URL: redactedURL(app.Directory.URL), Reachable: dirErr == nil}
		if dirErr != nil {
			resp.Directory.Error = dirErr.Error()
			resp.Healthy = false
		}
	}
	return writeAdminJSON(w, resp)
}

// userView is one user in GET /authgate/users.
type userView struct {
	Email          string `json:"email"`
	State          string `json:"state"` // enrolled, signed in, blocked or no phone
	BlockedSeconds int    `json:"blocked_seconds,omitempty"`
	// Note says why a user without a phone is listed: "no phone, 2 API
	// keys".
	Note     string        `json:"note,omitempty"`
	Devices  []deviceView  `json:"devices"`
	Sessions []sessionView `json:"sessions"`
	APIKeys  []apiKeyView  `json:"api_keys"`
}

// usersResponse is the answer of GET /authgate/users.
type usersResponse struct {
	Users []userView `json:"users"`
}

// handleUsers lists every user with an enrolled device, a live session
// or a live API key.
func (a *adminAPI) handleUsers(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use GET")}
	}
	app, err := a.app()
	if err != nil {
		return err
	}
	users, err := app.gw.ListUsers(r.Context())
	if err != nil {
		return adminError(err)
	}
	resp := usersResponse{Users: make([]userView, 0, len(users))}
	for _, u := range users {
		v := userView{Email: u.Email, State: u.State(), BlockedSeconds: int(u.BlockedFor.Seconds()), Note: u.Note(),
			Devices: make([]deviceView, 0, len(u.Devices)), Sessions: make([]sessionView, 0, len(u.Sessions)),
			APIKeys: make([]apiKeyView, 0, len(u.APIKeys))}
		for _, k := range u.APIKeys {
			v.APIKeys = append(v.APIKeys, viewAPIKey(k))
		}
		for _, d := range u.Devices {
			v.Devices = append(v.Devices, viewDevice(d))
		}
		for _, s := range u.Sessions {
			v.Sessions = append(v.Sessions, sessionView{
				ID: s.ID, Email: s.Email, DeviceID: s.DeviceID, AppID: s.AppID, ClientIP: s.ClientIP,
				Browser: web.BrowserName(s.UserAgent), UserAgent: s.UserAgent, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt,
			})
		}
		resp.Users = append(resp.Users, v)
	}
	return writeAdminJSON(w, resp)
}
