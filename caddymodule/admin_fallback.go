package caddymodule

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/gate/gateway"
	"github.com/authgate/authgate/gate/policy"
)

// fallbackRoutes are the admin API's routes for users who cannot sign in
// with a push:
//
//	POST /authgate/unblock {"email"}           clear a report pause and a lockout
//	GET  /authgate/paused?email=E              whether and until when E is paused
//	POST /authgate/pass {"email", "ttl"?}      a one-time access pass (default 1h)
func (a *adminAPI) fallbackRoutes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/authgate/unblock", Handler: caddy.AdminHandlerFunc(a.handleUnblock)},
		{Pattern: "/authgate/paused", Handler: caddy.AdminHandlerFunc(a.handlePaused)},
		{Pattern: "/authgate/pass", Handler: caddy.AdminHandlerFunc(a.handlePass)},
	}
}

// emailRequest is a body naming one user.
type emailRequest struct {
	Email string `json:"email"`
}

// unblockResponse says what was cleared.
type unblockResponse struct {
	Email       string `json:"email"`
	Reported    bool   `json:"was_reported"`
	Locked      bool   `json:"was_locked"`
	CodesPaused bool   `json:"was_codes_paused"`
}

func (a *adminAPI) handleUnblock(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use POST")}
	}
	app, err := a.app()
	if err != nil {
		return err
	}
	var req emailRequest
	if err := decodeAdminJSON(r, &req); err != nil {
		return err
	}
	u, err := app.gw.Unblock(r.Context(), req.Email)
	if err != nil {
		return adminError(err)
	}
	app.log.Info("user unblocked", emailField(u.Email))
	return writeAdminJSON(w, unblockResponse{Email: u.Email, Reported: u.Reported, Locked: u.Locked, CodesPaused: u.CodesPaused})
}

// pausedResponse is the answer of GET /authgate/paused.
type pausedResponse struct {
	Email  string    `json:"email"`
	Paused bool      `json:"paused"`
	Reason string    `json:"reason,omitempty"`
	Until  time.Time `json:"until,omitzero"`
	// CodesPaused says typed codes are refused after wrong ones, until
	// CodesUntil; push sign-ins are not paused by it.
	CodesPaused bool      `json:"codes_paused"`
	CodesUntil  time.Time `json:"codes_until,omitzero"`
}

func (a *adminAPI) handlePaused(w http.ResponseWriter, r *http.Request) error {
	app, email, err := a.userQuery(r)
	if err != nil {
		return err
	}
	p, err := app.gw.Paused(r.Context(), email)
	if err != nil {
		return adminError(err)
	}
	codes, err := app.gw.CodesPausedFor(r.Context(), email)
	if err != nil {
		return adminError(err)
	}
	resp := pausedResponse{Email: email}
	if p != nil {
		resp.Paused, resp.Reason, resp.Until = true, p.Reason, p.Until.UTC()
	}
	if codes > 0 {
		resp.CodesPaused, resp.CodesUntil = true, time.Now().Add(codes).UTC().Truncate(time.Second)
	}
	return writeAdminJSON(w, resp)
}

// passRequest is the body of POST /authgate/pass; TTL is a Go or Caddy
// duration ("1h", "30m"), default 1h.
type passRequest struct {
	Email string `json:"email"`
	TTL   string `json:"ttl,omitempty"`
}

// passResponse carries the pass: shown once, kept only hashed.
type passResponse struct {
	Email     string    `json:"email"`
	Pass      string    `json:"pass"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (a *adminAPI) handlePass(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("use POST")}
	}
	app, err := a.app()
	if err != nil {
		return err
	}
	var req passRequest
	if err := decodeAdminJSON(r, &req); err != nil {
		return err
	}
	var ttl time.Duration
	if req.TTL != "" {
		if ttl, err = caddy.ParseDuration(req.TTL); err != nil || ttl <= 0 {
			return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("ttl %q is not a positive duration", req.TTL)}
		}
	}
	pass, exp, err := app.gw.AccessPass(r.Context(), req.Email, ttl)
	if errors.Is(err, gateway.ErrBadValue) {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: err}
	}
	if err != nil {
		return adminError(err)
	}
	email := policy.CanonicalEmail(req.Email)
	app.log.Info("access pass issued", emailField(email), zapTime("expires_at", exp))
	return writeAdminJSON(w, passResponse{Email: email, Pass: pass, ExpiresAt: exp.UTC()})
}
