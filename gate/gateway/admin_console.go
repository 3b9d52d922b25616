package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/token"
	"github.com/authgate/authgate/gate/webhook"
)

// The admin console: pages of the gate under prefix/admin for members of
// the admin group. Every console URL answers a non-admin 403; every
// state-changing action also needs the CSRF token, a same-origin request
// and a recent approval (step-up), and is recorded in the audit trail
// with the admin who did it.

// DefaultAdminGroup is the group whose members may use the console.
const DefaultAdminGroup = "admin"

// DefaultStepUpWindow is how recent the approval behind a console action
// must be, unless Config.StepUpWindow says otherwise.
const DefaultStepUpWindow = 5 * time.Minute

// AuditLog is the audit trail as the gateway uses it: Record never
// blocks (it queues), List reads the shared trail.
type AuditLog interface {
	Record(e audit.Entry)
	List(ctx context.Context, q audit.Query) (audit.Page, error)
}

// WebhookEndpoint is one webhook receiver as the console shows it.
type WebhookEndpoint struct {
	webhook.EndpointStatus
	// Runtime is set for receivers added at runtime (console or admin
	// API), which can be removed; the others live in the config.
	Runtime bool
}

// WebhookAdmin is what the console does with webhooks; the adapter
// implements it over its dispatcher and the stored runtime receivers.
type WebhookAdmin interface {
	Endpoints(ctx context.Context) []WebhookEndpoint
	Deliveries(endpointID string) []webhook.EventRecord
	Replay(ctx context.Context, eventID string) (int, error)
	Ping(ctx context.Context, endpointID string) (string, error)
	Enable(endpointID string) error
	// Add registers a runtime receiver and returns its id and the
	// generated secret (shown once).
	Add(ctx context.Context, url string, events []string) (id, secret string, err error)
	Remove(ctx context.Context, id string) error
}

// consoleRoutes maps the console's paths below prefix/admin.
func (g *Gateway) consoleRoutes() *http.ServeMux {
	p := g.cfg.Prefix + "/admin"
	m := http.NewServeMux()
	m.HandleFunc("GET "+p+"/{$}", g.consoleUsers)
	m.HandleFunc("GET "+p+"/users", g.consoleUser)
	m.HandleFunc("POST "+p+"/users/sessions/{sid}/revoke", g.consoleAction(g.actRevokeSession))
	m.HandleFunc("POST "+p+"/users/signout-everywhere", g.consoleAction(g.actSignOutEverywhere))
	m.HandleFunc("POST "+p+"/users/devices/{id}/remove", g.consoleAction(g.actRemoveDevice))
	m.HandleFunc("POST "+p+"/users/keys/{id}/revoke", g.consoleAction(g.actRevokeKey))
	m.HandleFunc("POST "+p+"/users/enroll", g.consoleAction(g.actEnroll))
	m.HandleFunc("POST "+p+"/users/unblock", g.consoleAction(g.actUnblock))
	m.HandleFunc("GET "+p+"/webhooks", g.consoleWebhooks)
	m.HandleFunc("GET "+p+"/webhooks/{id}", g.consoleWebhook)
	m.HandleFunc("POST "+p+"/webhooks/add", g.consoleAction(g.actAddWebhook))
	m.HandleFunc("POST "+p+"/webhooks/{id}/ping", g.consoleAction(g.actPingWebhook))
	m.HandleFunc("POST "+p+"/webhooks/{id}/enable", g.consoleAction(g.actEnableWebhook))
	m.HandleFunc("POST "+p+"/webhooks/{id}/remove", g.consoleAction(g.actRemoveWebhook))
	m.HandleFunc("POST "+p+"/events/{id}/replay", g.consoleAction(g.actReplay))
	m.HandleFunc("GET "+p+"/audit", g.consoleAudit)
	m.HandleFunc("GET "+p+"/audit.jsonl", g.consoleAuditExport)
	m.HandleFunc("POST "+p+"/stepup", g.consoleStepUp)
	m.HandleFunc("GET "+p+"/stepup/done", g.consoleStepUpDone)
	m.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		g.consoleMessage(w, r, http.StatusNotFound, "Not found", "There is no such console page.")
	})
	return m
}

type adminKey struct{}

// adminOf returns the admin's verified token of a console request.
func adminOf(r *http.Request) (*token.Verified, string) {
	a, _ := r.Context().Value(adminKey{}).(*consoleAdmin)
	if a == nil {
		return nil, ""
	}
	return a.v, a.raw
}

type consoleAdmin struct {
	v   *token.Verified
	raw string
}

// handleConsole guards every console URL: a browser without a session is
// sent to sign in (any other request gets 403), and a signed-in user who
// is not in the admin group gets 403 whatever the URL or method.
func (g *Gateway) handleConsole(w http.ResponseWriter, r *http.Request) {
	v, raw := g.current(r)
	if v == nil {
		if wantsHTML(r) {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, g.loginURL(r.URL.RequestURI()), http.StatusFound)
			return
		}
		g.consoleMessage(w, r, http.StatusForbidden, "Access denied", "Sign in as an administrator to use the console.")
		return
	}
	admin, err := g.isAdmin(r.Context(), v)
	if err != nil {
		g.log.Warn("checking an administrator in the directory failed", zap.Error(err))
		w.Header().Set("Retry-After", "5")
		g.consoleMessage(w, r, http.StatusServiceUnavailable, "Console unavailable",
			"The user directory cannot be reached to confirm that you are an administrator. Try again in a moment.")
		return
	}
	if !admin {
		g.consoleMessage(w, r, http.StatusForbidden, "Access denied",
			"You are signed in as "+v.Email+", who is not an administrator of this gate.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	r = r.WithContext(context.WithValue(r.Context(), adminKey{}, &consoleAdmin{v: v, raw: raw}))
	g.console.ServeHTTP(w, r)
}

// isAdmin reports whether the token's groups hold the admin group and
// the gate still puts its user in it, by a group line of the running
// config or by the directory: an administrator removed from the group
// loses the console at the next request, not when the token ends. An
// error means the directory could not say.
func (g *Gateway) isAdmin(ctx context.Context, v *token.Verified) (bool, error) {
	if !slices.Contains(v.Groups, g.cfg.AdminGroup) {
		return false, nil
	}
	if slices.Contains(g.groups.Of(v.Email), g.cfg.AdminGroup) {
		return true, nil
	}
	if g.directory == nil {
		return false, nil
	}
	u, found, err := g.directory.Lookup(ctx, v.Email)
	if err != nil {
		return false, fmt.Errorf("looking up %s: %w", v.Email, err)
	}
	return found && slices.Contains(u.Groups, g.cfg.AdminGroup), nil
}

// recentApproval reports whether the admin's session was approved on a
// phone within the step-up window: its token's issue time is the
// approval (a login, or the step-up login that replaced it). A sign-in
// with a recovery code or an access pass was approved by no phone.
func (g *Gateway) recentApproval(v *token.Verified, now time.Time) bool {
	if otp.WithoutPhone(v.DeviceID) {
		return false
	}
	return now.Sub(v.IssuedAt) <= g.cfg.StepUpWindow && !v.IssuedAt.After(now.Add(time.Minute))
}

// consoleAction wraps a state-changing action: CSRF token and same
// origin (else 403, nothing done), then a recent approval (else the
// step-up prompt, 428, nothing done).
func (g *Gateway) consoleAction(act func(w http.ResponseWriter, r *http.Request, admin string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, raw := adminOf(r)
		if !g.csrfOK(r, raw) {
			g.consoleMessage(w, r, http.StatusForbidden, "Request refused",
				"This request came from another site or without the console's form token. Nothing was changed.")
			return
		}
		if !g.recentApproval(v, time.Now()) {
			g.renderStepUp(w, r, raw, consoleReturn(r))
			return
		}
		act(w, r, v.Email)
	}
}

// consoleReturn is where a refused action sends the admin back after
// step-up: the page the form was on (its "back" field), or the console.
func (g *Gateway) consoleReturnPath(raw string) string {
	home := g.cfg.Prefix + "/admin/"
	u, err := url.Parse(raw)
	if raw == "" || err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, home) || strings.Contains(u.Path, "..") {
		return home
	}
	return u.RequestURI()
}

func consoleReturn(r *http.Request) string { return r.PostFormValue("back") }

// stepUpPage is the data of the step-up prompt.
type stepUpPage struct {
	CSRF   string
	Return string
	Error  string
}

func (g *Gateway) renderStepUp(w http.ResponseWriter, r *http.Request, raw, back string) {
	g.render(w, r, http.StatusPreconditionRequired, "console_stepup", "Confirm it is you", "", stepUpPage{
		CSRF: csrfToken(raw), Return: g.consoleReturnPath(back),
	})
}

// consoleStepUp starts a push login for the admin's own email; once it
// is approved, the wait page sets the fresh session and returns to
// stepup/done, which ends the old session and goes back to the console.
func (g *Gateway) consoleStepUp(w http.ResponseWriter, r *http.Request) {
	v, raw := adminOf(r)
	if !g.csrfOK(r, raw) {
		g.consoleMessage(w, r, http.StatusForbidden, "Request refused",
			"This request came from another site or without the console's form token.")
		return
	}
	back := g.consoleReturnPath(r.PostFormValue("back"))
	done := g.cfg.Prefix + "/admin/stepup/done?" + url.Values{"prev": {v.SessionID}, "back": {back}}.Encode()
	started, err := g.start(w, r, v.Email, done)
	var limit *flow.LimitError
	var refused *flow.RefusedError
	switch {
	case errors.As(err, &limit):
		w.Header().Set("Retry-After", retryAfterSeconds(limit.RetryAfter))
		g.consoleMessage(w, r, http.StatusTooManyRequests, "Step-up not started",
			"An approval request for your account is already waiting, or too many were sent. Try again in "+humanDuration(limit.RetryAfter)+".")
		return
	case errors.As(err, &refused):
		g.consoleMessage(w, r, http.StatusForbidden, "Step-up not started", "Sign-in refused: "+refused.Reason)
		return
	case err != nil:
		g.storeFailure(w, r, err)
		return
	}
	http.Redirect(w, r, g.cfg.Prefix+"/wait/"+started.Login.ID, http.StatusSeeOther)
}

// consoleStepUpDone records a completed step-up and ends the session it
// came from, so one approval leaves one session. Only a fresh session
// that replaced another session of the same admin counts: a link to this
// page from elsewhere records and ends nothing.
func (g *Gateway) consoleStepUpDone(w http.ResponseWriter, r *http.Request) {
	v, _ := adminOf(r)
	q := r.URL.Query()
	back := g.consoleReturnPath(q.Get("back"))
	prev := q.Get("prev")
	if !g.recentApproval(v, time.Now()) || prev == "" || prev == v.SessionID {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	sess, err := g.store.GetSession(r.Context(), prev)
	if err != nil || sess.Email != v.Email || !sess.CreatedAt.Before(v.IssuedAt) {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if err := g.flow.RevokeSession(r.Context(), sess, v.Email); err != nil {
		g.storeFailure(w, r, err)
		return
	}
	g.revocations.Apply(storeRevocation(sess.ID, sess.ExpiresAt))
	g.record(audit.Action(v.Email, "step_up", v.Email, map[string]any{"sid": v.SessionID, "replaced_sid": sess.ID}))
	if u, err := url.Parse(back); err == nil {
		q := u.Query()
		q.Set("done", "stepup")
		u.RawQuery = q.Encode()
		back = u.RequestURI()
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// record puts an admin action on the audit trail.
func (g *Gateway) record(e audit.Entry) {
	if g.audit != nil {
		g.audit.Record(e)
	}
}

// consoleMessage renders a console message page.
func (g *Gateway) consoleMessage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	g.render(w, r, status, "message", title, "", message{Message: msg, Link: g.cfg.Prefix + "/", LinkText: "Your account"})
}
