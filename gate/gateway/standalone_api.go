package gateway

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/token"
	"github.com/authgate/authgate/gate/webhook"
)

// apiStartRequest is the guide's POST /auth/start body.
type apiStartRequest struct {
	AppID string `json:"app_id"`
	Email string `json:"email"`
}

// handleStart is the guide's POST /auth/start: it starts a login for an
// API client of a configured app and answers {session_id, code,
// expires_in}, where session_id is the session handle ("<login
// id>.<secret>"): the only proof that collects the token. No cookie is
// set.
func (s *Server) handleStart(w http.ResponseWriter, r *http.Request) {
	var req apiStartRequest
	if !readJSON(w, r, &req) {
		return
	}
	app := s.apps.Get(req.AppID)
	if app == nil {
		w.Header().Add("Vary", "Origin")
		writeError(w, http.StatusBadRequest, "unknown app_id")
		return
	}
	if !s.originFor(w, r, app.ID) {
		return
	}
	started, err := s.gw.flow.Start(r.Context(), flow.StartRequest{
		Email: req.Email, AppID: app.ID, ClientIP: s.route.clientIP(r), UserAgent: r.UserAgent(), API: true,
	})
	if err != nil {
		s.gw.writeStartError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, startResponse{
		SessionID: flow.Handle(started), Code: started.Login.Code,
		ExpiresIn: int(time.Until(started.Login.ExpiresAt).Round(time.Second).Seconds()),
	})
}

// apiCheckResponse is the guide's GET /auth/check/{id} answer; Token is
// set once, for the caller holding the session handle.
type apiCheckResponse struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	Token  string `json:"token,omitempty"`
	// ExpiresIn is the token's lifetime in seconds, with Token.
	ExpiresIn int `json:"expires_in,omitempty"`
}

// loginFor loads the login a session handle or login id names and checks
// the request's origin against its app. On failure it has answered.
func (s *Server) loginFor(w http.ResponseWriter, r *http.Request, handle string) (*store.Login, bool) {
	id := handle
	if i, _, ok := flow.SplitHandle(handle); ok {
		id = i
	}
	l, err := s.gw.store.GetLogin(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.Header().Add("Vary", "Origin")
		writeError(w, http.StatusNotFound, "no such login")
		return nil, false
	case err != nil:
		s.gw.storeFailure(w, r, err)
		return nil, false
	}
	if !s.originFor(w, r, l.AppID) {
		return nil, false
	}
	return l, true
}

// handleCheck is the guide's GET /auth/check/{id}: the login's status;
// with the session handle of an approved login, the first call also gets
// the app's token (never a second time, never without the handle).
func (s *Server) handleCheck(w http.ResponseWriter, r *http.Request) {
	handle := r.PathValue("id")
	if _, ok := s.loginFor(w, r, handle); !ok {
		return
	}
	res, err := s.gw.flow.CheckHandle(r.Context(), handle)
	if errors.Is(err, flow.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such login")
		return
	}
	if err != nil {
		s.gw.storeFailure(w, r, err)
		return
	}
	resp := apiCheckResponse{Status: publicStatus(res.Login.Status)}
	if res.Login.Status == store.LoginDenied {
		resp.Reason = res.Login.Reason
	}
	if res.Session != nil {
		m := s.tokens[res.Session.AppID]
		if m == nil {
			writeError(w, http.StatusConflict, "the login's app is no longer configured")
			return
		}
		tok, err := s.gw.mintFor(m, res)
		if err != nil {
			s.gw.storeFailure(w, r, err)
			return
		}
		resp.Token = tok
		resp.ExpiresIn = int(time.Until(res.Session.ExpiresAt).Round(time.Second).Seconds())
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleEvents is GET /auth/events/{handle}: the login's status as
// server-sent events, for the caller holding its session handle (the
// widget's EventSource). It never collects: on "approved" the caller
// fetches /auth/check/{handle} for the token.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	handle := r.PathValue("id")
	l, ok := s.loginFor(w, r, handle)
	if !ok {
		return
	}
	_, secret, _ := flow.SplitHandle(handle)
	if !l.API || !flow.BindingMatches(secret, l.BindingHash) {
		writeError(w, http.StatusForbidden, "this stream needs the session_id that /auth/start returned")
		return
	}
	stream, err := openSSE(w)
	if err != nil {
		s.gw.log.Debug("login event stream not opened", zap.Error(err))
		return
	}
	s.gw.streamLogin(r.Context(), stream, l)
}

// apiVerifyResponse is the guide's GET /auth/verify answer, with the app
// the token was made for.
type apiVerifyResponse struct {
	Valid  bool     `json:"valid"`
	AppID  string   `json:"app_id,omitempty"`
	Email  string   `json:"email,omitempty"`
	Exp    int64    `json:"exp,omitempty"`
	SID    string   `json:"sid,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

// handleVerify is the guide's GET /auth/verify?token=[&app_id=]: whether
// a token handed to an app's client is valid and not revoked, and which
// app it was made for. With app_id, a token of another app is not valid:
// a backend should pass its own, or compare app_id in the answer, so a
// token obtained through another app cannot sign in to it.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	raw, want := q.Get("token"), q.Get("app_id")
	w.Header().Add("Vary", "Origin")
	origin, ok := s.foreignOrigin(r)
	switch {
	case !ok:
		writeError(w, http.StatusForbidden, "cross-site request refused")
		return
	case origin != "" && !s.apps.KnownOrigin(origin):
		writeError(w, http.StatusForbidden, "origin not allowed")
		return
	case origin != "":
		allowCORS(w, origin)
	}
	if raw == "" {
		writeError(w, http.StatusBadRequest, "token parameter required")
		return
	}
	now := time.Now()
	var v *token.Verified
	var appID string
	for _, id := range s.apps.IDs() {
		if want != "" && id != want {
			continue
		}
		if got, err := s.tokens[id].Verify(raw, now); err == nil {
			v, appID = got, id
			break
		}
	}
	if v == nil {
		writeJSON(w, http.StatusOK, apiVerifyResponse{Valid: false})
		return
	}
	switch s.gw.revocations.Check(v.SessionID, v.Email, v.Generation, v.Epoch, now) {
	case token.Revoked:
		writeJSON(w, http.StatusOK, apiVerifyResponse{Valid: false})
		return
	case token.Stale:
		s.gw.unavailable(w, r, "sessions cannot be checked right now")
		return
	}
	writeJSON(w, http.StatusOK, apiVerifyResponse{
		Valid: true, AppID: appID, Email: v.Email, Exp: v.ExpiresAt.Unix(), SID: v.SessionID, Groups: v.Groups,
	})
}

// handleRegisterWebhook is the guide's POST /api/webhooks {app_id, url}:
// it registers a receiver of that app's events and answers 201 with its
// generated secret, shown once. It needs "Authorization: Bearer <key>"
// with the app's secret or the admin key (only the admin key may register
// a receiver of every app, with no app_id): an open registration would
// let anyone subscribe to every login of every user. Browsers never get
// CORS here; keys belong on servers. Without a format, the receiver gets
// the guide's flat bodies (format authgate).
func (s *Server) handleRegisterWebhook(w http.ResponseWriter, r *http.Request) {
	bearer := bearerToken(r)
	if bearer == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="authgate"`)
		writeError(w, http.StatusUnauthorized, "an app secret or the admin key is required (Authorization: Bearer …)")
		return
	}
	var req WebhookRequest
	if !readJSON(w, r, &req) {
		return
	}
	if !s.apps.Authorize(bearer, req.AppID) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="authgate", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "this key may not register receivers for this app")
		return
	}
	if req.AppID != "" && s.apps.Get(req.AppID) == nil {
		writeError(w, http.StatusBadRequest, "unknown app_id")
		return
	}
	if strings.TrimSpace(req.URL) == "" {
		writeError(w, http.StatusBadRequest, "url is required")
		return
	}
	if s.webhooks == nil {
		s.gw.unavailable(w, r, "webhook registration is not available")
		return
	}
	req.PublicOnly = s.publicOnly
	if req.Format == "" {
		// The guide's handlers read its flat bodies.
		req.Format = webhook.FormatAuthGate
	}
	hook, err := s.webhooks.RegisterWebhook(r.Context(), req)
	if errors.Is(err, ErrInvalidWebhook) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		s.gw.log.Error("registering a webhook failed", zap.String("app_id", req.AppID), zap.Error(err))
		writeError(w, http.StatusInternalServerError, "the receiver could not be registered")
		return
	}
	writeJSON(w, http.StatusCreated, hook)
}

// bearerToken returns the credentials of an "Authorization: Bearer"
// header, or "".
func bearerToken(r *http.Request) string {
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(cred)
}
