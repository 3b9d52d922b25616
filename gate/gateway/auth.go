package gateway

import (
	"errors"
	"net/http"
	"time"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/token"
)

// startRequest is the JSON body of POST /auth/start.
type startRequest struct {
	AppID     string `json:"app_id"`
	Email     string `json:"email"`
	ReturnURL string `json:"rd,omitempty"`
}

// startResponse is the answer to a started login: the same shape for
// known and unknown emails.
type startResponse struct {
	SessionID string `json:"session_id"`
	Code      int    `json:"code"`
	ExpiresIn int    `json:"expires_in"`
}

// handleStart is the JSON API's POST /auth/start.
func (g *Gateway) handleStart(w http.ResponseWriter, r *http.Request) {
	if !g.sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross-site request refused")
		return
	}
	var req startRequest
	if !readJSON(w, r, &req) {
		return
	}
	started, err := g.start(w, r, req.Email, req.ReturnURL)
	if err != nil {
		g.writeStartError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, startResponse{
		SessionID: started.Login.ID, Code: started.Login.Code,
		ExpiresIn: int(time.Until(started.Login.ExpiresAt).Round(time.Second).Seconds()),
	})
}

// start validates the return URL, starts the login and hands the browser
// its binding cookie.
func (g *Gateway) start(w http.ResponseWriter, r *http.Request, email, returnURL string) (*flow.Started, error) {
	return g.startLogin(w, r, email, returnURL, false)
}

// startLogin is start; a quiet login sends no push (a code follows).
func (g *Gateway) startLogin(w http.ResponseWriter, r *http.Request, email, returnURL string, quiet bool) (*flow.Started, error) {
	rd, ok := safeReturnURL(returnURL, g.requestOrigin(r), g.allowedReturnHost)
	if !ok {
		return nil, flow.ErrInvalidReturn
	}
	rt := routeOf(r)
	started, err := g.flow.Start(r.Context(), flow.StartRequest{
		Email: email, AppID: rt.appID, SiteTitle: rt.siteTitle(r), ClientIP: rt.clientIP(r), UserAgent: r.UserAgent(),
		ReturnURL: rd, PreviousBinding: g.bindingSecret(r), Quiet: quiet, Site: r.Host,
	})
	if err != nil {
		return nil, err
	}
	cfg := g.flow.Config()
	g.setBindingCookie(w, r, started.Binding, cfg.LoginTimeout+cfg.Retention)
	return started, nil
}

// writeStartError maps a start failure to a JSON answer.
func (g *Gateway) writeStartError(w http.ResponseWriter, r *http.Request, err error) {
	var limit *flow.LimitError
	var refused *flow.RefusedError
	switch {
	case errors.Is(err, flow.ErrInvalidEmail), errors.Is(err, flow.ErrInvalidReturn):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, &limit):
		w.Header().Set("Retry-After", retryAfterSeconds(limit.RetryAfter))
		writeError(w, http.StatusTooManyRequests, limit.Error())
	case errors.As(err, &refused):
		writeError(w, http.StatusForbidden, refused.Error())
	default:
		g.storeFailure(w, r, err)
	}
}

// checkResponse is the answer of GET /auth/check/{id}.
type checkResponse struct {
	Status   string `json:"status"`
	Redirect string `json:"redirect,omitempty"`
}

// handleCheck is GET /auth/check/{id}: the login's status, and, for the
// browser that started an approved login, its session cookie.
func (g *Gateway) handleCheck(w http.ResponseWriter, r *http.Request) {
	res, err := g.flow.Check(r.Context(), r.PathValue("id"), g.bindingSecret(r))
	if errors.Is(err, flow.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such login")
		return
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	resp := checkResponse{Status: publicStatus(res.Login.Status)}
	if res.Session != nil {
		if err := g.issueCookie(w, r, res); err != nil {
			g.storeFailure(w, r, err)
			return
		}
		resp.Redirect = res.Login.ReturnURL
	}
	writeJSON(w, http.StatusOK, resp)
}

// issueCookie mints the token of the session res collected and sets it
// as the cookie. The token's groups are those of the group lines and the
// ones the user directory gave at login start.
func (g *Gateway) issueCookie(w http.ResponseWriter, r *http.Request, res *flow.CheckResult) error {
	tok, err := g.mintFor(g.tokens, res)
	if err != nil {
		return err
	}
	g.setSessionCookie(w, r, tok, res.Session.ExpiresAt)
	return nil
}

// mintFor mints a token with m for the session res collected, carrying
// the user's generation (read with the session's creation), groups and
// the store's epoch.
func (g *Gateway) mintFor(m *token.Manager, res *flow.CheckResult) (string, error) {
	s := res.Session
	// A store that lost a bump (a failover) reports less than this
	// instance knows; minting that would make a token refused at once.
	gen := max(res.Generation, g.revocations.Generation(s.Email))
	return m.Mint(token.Identity{
		Email: s.Email, SessionID: s.ID, DeviceID: s.DeviceID, Generation: gen,
		Groups: policy.MergeGroups(g.groups.Of(s.Email), res.Login.Groups),
		Epoch:  g.revocations.Epoch(), IssuedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt,
	})
}

// publicStatus maps the internal states to the API's four.
func publicStatus(s store.LoginStatus) string {
	if s == store.LoginCollected {
		return string(store.LoginApproved)
	}
	return string(s)
}

// verifyResponse is the answer of GET /auth/verify.
type verifyResponse struct {
	Valid  bool     `json:"valid"`
	Email  string   `json:"email,omitempty"`
	Exp    int64    `json:"exp,omitempty"`
	SID    string   `json:"sid,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// handleVerify is GET /auth/verify?token=: whether a token is valid and
// not revoked right now.
func (g *Gateway) handleVerify(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("token")
	if raw == "" {
		writeError(w, http.StatusBadRequest, "token parameter required")
		return
	}
	now := time.Now()
	v, err := g.tokens.Verify(raw, now)
	if err != nil {
		writeJSON(w, http.StatusOK, verifyResponse{Valid: false})
		return
	}
	switch g.revocations.Check(v.SessionID, v.Email, v.Generation, v.Epoch, now) {
	case token.Revoked:
		writeJSON(w, http.StatusOK, verifyResponse{Valid: false})
		return
	case token.Stale:
		g.unavailable(w, r, "sessions cannot be checked right now")
		return
	}
	writeJSON(w, http.StatusOK, verifyResponse{
		Valid: true, Email: v.Email, Exp: v.ExpiresAt.Unix(), SID: v.SessionID, Groups: v.Groups,
	})
}

// writeBodyError answers an unreadable or oversized body.
func writeBodyError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
	case errors.Is(err, errBodyTimeout):
		writeError(w, http.StatusRequestTimeout, err.Error())
	default:
		writeError(w, http.StatusBadRequest, "the request body could not be read")
	}
}
