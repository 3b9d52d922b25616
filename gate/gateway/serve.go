package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store"
)

type routeKey struct{}

// routeOf returns the protected site a gate request arrived at.
func routeOf(r *http.Request) *Route {
	rt, _ := r.Context().Value(routeKey{}).(*Route)
	return rt
}

// routes maps the gate's paths to handlers.
func (g *Gateway) routes() *http.ServeMux {
	p := g.cfg.Prefix
	m := http.NewServeMux()
	m.HandleFunc("GET "+p+"/login", g.handleLoginPage)
	m.HandleFunc("POST "+p+"/login", g.handleLoginForm)
	m.HandleFunc("GET "+p+"/wait/{id}", g.handleWaitPage)
	m.HandleFunc("POST "+p+"/wait/{id}/cancel", g.handleCancel)
	m.HandleFunc("POST "+p+"/wait/{id}/resend", g.handleResend)
	m.HandleFunc("GET "+p+"/approver-qr.png", g.handleApproverQR)
	m.HandleFunc("GET "+p+"/{$}", g.handleHome)
	m.HandleFunc("POST "+p+"/logout", g.handleLogout)
	m.HandleFunc("POST "+p+"/sessions/{sid}/revoke", g.handleRevokeSession)
	m.HandleFunc("POST "+p+"/keys", g.handleCreateKey)
	m.HandleFunc("POST "+p+"/keys/{id}/revoke", g.handleRevokeOwnKey)
	m.HandleFunc("GET "+p+"/code", g.handleCodePage)
	m.HandleFunc("POST "+p+"/code", g.handleCodeForm)
	m.HandleFunc("POST "+p+"/auth/code", g.handleCode)
	m.HandleFunc("POST "+p+"/recovery-codes", g.handleNewRecoveryCodes)
	m.HandleFunc("POST "+p+"/auth/start", g.handleStart)
	m.HandleFunc("GET "+p+"/auth/check/{id}", g.handleCheck)
	m.HandleFunc("GET "+p+"/auth/verify", g.handleVerify)
	m.HandleFunc("GET "+p+"/auth/events/{id}", g.handleLoginEvents)
	m.HandleFunc("GET "+p+"/device/events", g.handleDeviceEvents)
	m.HandleFunc("POST "+p+"/devices/{id}/revoke", g.handleRevokeOwnDevice)
	m.HandleFunc("POST "+p+"/device/enroll", g.handleEnroll)
	m.HandleFunc("POST "+p+"/enroll-qr", g.handleEnrollQR)
	m.HandleFunc("GET "+p+"/device/pending", g.handlePending)
	m.HandleFunc("POST "+p+"/device/decide", g.handleDecide)
	m.HandleFunc("GET "+p+"/device/me", g.handleDeviceMe)
	m.HandleFunc("POST "+p+"/device/rename", g.handleDeviceRename)
	m.HandleFunc("POST "+p+"/device/push", g.handleDevicePush)
	m.HandleFunc("DELETE "+p+"/device/push", g.handleDevicePushOff)
	m.HandleFunc("GET "+p+"/push/key", g.handlePushKey)
	m.HandleFunc("GET "+p+"/app", g.handleApp)
	m.HandleFunc("GET "+p+"/healthz", g.handleHealth)
	m.HandleFunc("GET "+p+"/jwks.json", g.handleJWKS)
	m.HandleFunc("GET "+p+"/assets/", g.pages.ServeStatic)
	m.HandleFunc(p+"/admin", g.handleConsole)
	m.HandleFunc(p+"/admin/", g.handleConsole)
	m.HandleFunc("GET "+p+"/brand/logo", g.handleBrandLogo)
	m.HandleFunc("GET "+p+"/brand/accent.css", g.handleBrandCSS)
	m.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such gate endpoint")
	})
	return m
}

// serveGate answers a request under the prefix, never passing it on. A
// panic in a handler becomes a 500 without details.
func (g *Gateway) serveGate(w http.ResponseWriter, r *http.Request, rt *Route) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			g.log.Error("gate handler panicked", zapPath(r), zap.Any("panic", v))
			writeError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	if !bufferBody(w, r) {
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), routeKey{}, rt))
	g.mux.ServeHTTP(w, r)
}

// storeFailure answers a store error: 503 with Retry-After when the store
// or the user directory is unreachable (fail closed, never a pass), 500
// otherwise.
func (g *Gateway) storeFailure(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, flow.ErrDirectoryUnavailable) {
		g.unavailable(w, r, "the user directory cannot be reached")
		return
	}
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		g.storeFails.note(g.log, r, err, time.Now())
		g.unavailable(w, r, "the session store cannot serve requests right now")
		return
	}
	g.log.Error("gate request failed", zapPath(r), zap.Error(err))
	if acceptsHTML(r) {
		g.render(w, r, http.StatusInternalServerError, "message", "Something went wrong",
			"", message{Message: "The gate could not complete this request. Please try again."})
		return
	}
	writeError(w, http.StatusInternalServerError, "internal error")
}

// unavailable answers 503 with Retry-After: a page for browsers, JSON for
// the rest.
func (g *Gateway) unavailable(w http.ResponseWriter, r *http.Request, why string) {
	w.Header().Set("Retry-After", "5")
	if acceptsHTML(r) {
		what := "Sign-in is"
		if strings.HasPrefix(r.URL.Path, g.cfg.Prefix+"/admin/") {
			what = "The console is"
		}
		g.render(w, r, http.StatusServiceUnavailable, "message", "Temporarily unavailable", "",
			message{Message: what + " unavailable right now (" + why + "). Please try again in a few seconds."})
		return
	}
	writeError(w, http.StatusServiceUnavailable, why)
}

// forbidden answers a logged-in user whom the site's policy does not
// allow.
func (g *Gateway) forbidden(w http.ResponseWriter, r *http.Request, email string) {
	if acceptsHTML(r) {
		g.render(w, r, http.StatusForbidden, "message", "Access denied", "", message{
			Message: "You are signed in as " + email + ", but this account may not use this site.",
			Link:    g.cfg.Prefix + "/", LinkText: "Your account",
		})
		return
	}
	writeError(w, http.StatusForbidden, "this account may not use this site")
}

// message is the data of the message page.
type message struct {
	Message  string
	Link     string
	LinkText string
}

// loginURL returns the login page's URL for a return path.
func (g *Gateway) loginURL(returnTo string) string {
	return g.cfg.Prefix + "/login?rd=" + url.QueryEscape(returnTo)
}

func retryAfterSeconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}
