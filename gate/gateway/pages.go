package gateway

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/authgate/authgate/gate/apikey"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/token"
)

// loginPage is the data of the email form.
type loginPage struct {
	Email     string
	ReturnURL string
	Error     string
	Notice    string
	// Change is set after "Not you?": the remembered address is shown
	// selected, ready to be corrected or replaced.
	Change bool
}

// handleLoginPage shows the email form. The return path travels in the
// form and is checked again when the login starts.
func (g *Gateway) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := loginPage{ReturnURL: q.Get("rd")}
	if _, ok := safeReturnURL(data.ReturnURL, g.requestOrigin(r), g.allowedReturnHost); !ok {
		data.ReturnURL = ""
	}
	switch {
	case q.Has("logged_out"):
		data.Notice = "You have been signed out."
	case q.Has("cancelled"):
		data.Notice = "That sign-in was cancelled."
	case q.Has("change"):
		data.Notice = "That sign-in was cancelled. Check the address, or type another."
		data.Change = true
	}
	g.render(w, r, http.StatusOK, "login", "Sign in", "login.js", data)
}

// handleLoginForm starts a login from the email form and sends the
// browser to the waiting page.
func (g *Gateway) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		g.renderLogin(w, r, http.StatusBadRequest, loginPage{Error: "The form could not be read."})
		return
	}
	data := loginPage{Email: r.PostForm.Get("email"), ReturnURL: r.PostForm.Get("rd")}
	if !g.sameOrigin(r) {
		g.renderLogin(w, r, http.StatusForbidden, loginPage{Error: "This sign-in request came from another site."})
		return
	}
	g.startFromForm(w, r, data)
}

// startFromForm starts a login for the email form (or a resend) and
// sends the browser to the waiting page, or shows the form again with
// the reason it could not start.
func (g *Gateway) startFromForm(w http.ResponseWriter, r *http.Request, data loginPage) {
	started, err := g.start(w, r, data.Email, data.ReturnURL)
	var limit *flow.LimitError
	var refused *flow.RefusedError
	switch {
	case err == nil:
		http.Redirect(w, r, g.cfg.Prefix+"/wait/"+started.Login.ID, http.StatusSeeOther)
	case errors.Is(err, flow.ErrInvalidEmail):
		data.Error = "Please enter a valid email address."
		g.renderLogin(w, r, http.StatusBadRequest, data)
	case errors.Is(err, flow.ErrInvalidReturn):
		data.ReturnURL, data.Error = "", "The page to return to is not on this site; please sign in again."
		g.renderLogin(w, r, http.StatusBadRequest, data)
	case errors.As(err, &limit):
		g.renderLimit(w, r, limit, data.ReturnURL, func(text string) {
			data.Error = text
			g.renderLogin(w, r, http.StatusTooManyRequests, data)
		})
	case errors.As(err, &refused):
		data.Error = "Sign-in refused: " + refused.Reason
		g.renderLogin(w, r, http.StatusForbidden, data)
	default:
		g.storeFailure(w, r, err)
	}
}

// humanDuration says how long to wait in words: "42 seconds", "about 3
// minutes", "about 1 hour".
func humanDuration(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case d.Round(time.Second) < time.Minute:
		return plural(max(1, int(d.Round(time.Second).Seconds())), "second")
	case d.Round(time.Minute) < time.Hour:
		return "about " + plural(int(d.Round(time.Minute).Minutes()), "minute")
	}
	return "about " + plural(int(d.Round(time.Hour).Hours()), "hour")
}

func (g *Gateway) renderLogin(w http.ResponseWriter, r *http.Request, status int, data loginPage) {
	g.render(w, r, status, "login", "Sign in", "login.js", data)
}

// waitPage is the data of the waiting page. State is pending, denied or
// expired; the page shows the number, or why the login ended and a retry
// button.
type waitPage struct {
	ID        string
	Code      int
	ExpiresIn int
	ReturnURL string
	RetryURL  string
	State     string
	Reason    string
	// Email is the address being signed in, so a typo shows at once.
	Email string
	// ApproverURL is the approver app's address on this site.
	ApproverURL string
	// Paused, when set, says sign-ins of the account are paused: the
	// page shows it instead of a retry button.
	Paused string
	// PausedPushesOnly marks a lockout, which stops pushes but not codes:
	// the page then offers the code form.
	PausedPushesOnly bool
	// NotYet is set when "I approved it: continue" (the page without
	// script) was pressed before the approval: the page says so, rather
	// than come back unchanged.
	NotYet bool
}

// handleWaitPage shows the number to tap, only to the browser that
// started the login; without script it also collects the session.
func (g *Gateway) handleWaitPage(w http.ResponseWriter, r *http.Request) {
	binding := g.bindingSecret(r)
	res, err := g.flow.Check(r.Context(), r.PathValue("id"), binding)
	if errors.Is(err, flow.ErrNotFound) {
		http.Redirect(w, r, g.cfg.Prefix+"/login", http.StatusSeeOther)
		return
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	l := res.Login
	if res.Session != nil {
		if err := g.issueCookie(w, r, res); err != nil {
			g.storeFailure(w, r, err)
			return
		}
		http.Redirect(w, r, l.ReturnURL, http.StatusSeeOther)
		return
	}
	if !flow.BindingMatches(binding, l.BindingHash) && l.Reason == flow.ReasonSuperseded {
		g.renderSuperseded(w, r, l)
		return
	}
	if !flow.BindingMatches(binding, l.BindingHash) {
		g.render(w, r, http.StatusForbidden, "message", "Start again", "", message{
			Message: "This sign-in was started in another browser.", Link: g.loginURL(l.ReturnURL), LinkText: "Sign in here",
		})
		return
	}
	if l.Status == store.LoginCollected {
		http.Redirect(w, r, l.ReturnURL, http.StatusSeeOther)
		return
	}
	data := waitPage{
		ID: l.ID, Code: l.Code, ReturnURL: l.ReturnURL, RetryURL: g.loginURL(l.ReturnURL),
		State: string(l.Status), Reason: l.Reason, Email: l.Email, ApproverURL: g.approverURL(r),
		ExpiresIn: max(0, int(time.Until(l.ExpiresAt).Seconds())),
		NotYet:    l.Status == store.LoginPending && r.URL.Query().Has("continued"),
	}
	if l.Status == store.LoginDenied || l.Status == store.LoginExpired {
		p, err := g.flow.Paused(r.Context(), l.Email)
		if err != nil {
			g.storeFailure(w, r, err)
			return
		}
		if p != nil {
			data.Paused = pauseMessage(p.Reason, p.Until)
			data.PausedPushesOnly = p.Reason != flow.ReasonReported
		}
	}
	title := "Approve sign-in"
	switch l.Status {
	case store.LoginDenied:
		title = "Sign-in denied"
	case store.LoginExpired:
		title = "Sign-in expired"
	}
	g.render(w, r, http.StatusOK, "wait", title, "wait.js", data)
}

// renderSuperseded answers the waiting page of a login that a newer
// start replaced. Only the browser holding a login's binding secret can
// replace it, and the newer start gave that browser a new secret, so the
// page is usually the starting browser's other tab: it says so, rather
// than "another browser", and offers to continue once this browser is
// signed in.
func (g *Gateway) renderSuperseded(w http.ResponseWriter, r *http.Request, l *store.Login) {
	if v, _ := g.current(r); v != nil {
		g.render(w, r, http.StatusOK, "message", "Signed in", "", message{
			Message: "A newer sign-in started in the same browser replaced this one. You are signed in as " + v.Email + ".",
			Link:    l.ReturnURL, LinkText: "Continue",
		})
		return
	}
	g.render(w, r, http.StatusOK, "message", "Sign-in replaced", "", message{
		Message: "A newer sign-in started in the same browser replaced this one. Approve that one, in its tab, or start again here.",
		Link:    g.loginURL(l.ReturnURL), LinkText: "Sign in here",
	})
}

// current returns the caller's verified, unrevoked session token, or nil.
func (g *Gateway) current(r *http.Request) (*token.Verified, string) {
	raw := cookieValue(r.Header, g.sessionCookieName(r))
	if raw == "" {
		return nil, ""
	}
	now := time.Now()
	v, err := g.tokens.Verify(raw, now)
	if err != nil || g.revocations.Check(v.SessionID, v.Email, v.Generation, v.Epoch, now) != token.Allowed {
		return nil, ""
	}
	return v, raw
}

// homePage is the data of the signed-in page.
type homePage struct {
	Email      string
	CurrentSID string
	CSRF       string
	Sessions   []*store.Session
	Devices    []*store.Device
	Notice     string
	Recovery   recoveryInfo
	// The API keys section: the user's keys, the key just created (shown
	// this once), whether this sign-in is recent enough to create one,
	// and why creating failed.
	Keys       []*store.APIKey
	NewKey     *apikey.Created
	KeyFresh   bool
	KeyError   string
	KeyName    string
	ReloginURL string
}

// handleHome shows who is signed in, their sessions, devices and API
// keys.
func (g *Gateway) handleHome(w http.ResponseWriter, r *http.Request) {
	v, raw := g.current(r)
	if v == nil {
		http.Redirect(w, r, g.loginURL(g.cfg.Prefix+"/"), http.StatusFound)
		return
	}
	notice := ""
	switch r.URL.Query().Get("removed") {
	case "device":
		notice = "The phone was removed. It can no longer approve sign-ins."
	case "session":
		notice = "That browser was signed out."
	case "key":
		notice = "The API key was revoked. It no longer works anywhere."
	}
	g.renderHome(w, r, v, raw, http.StatusOK, homePage{Notice: notice})
}

// renderHome fills in the signed-in page's lists and renders it with
// status.
func (g *Gateway) renderHome(w http.ResponseWriter, r *http.Request, v *token.Verified, raw string, status int, data homePage) {
	sessions, err := g.store.ListSessions(r.Context(), v.Email)
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	devices, err := g.store.ListDevices(r.Context(), v.Email)
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	sess, _ := g.store.GetSession(r.Context(), v.SessionID)
	did := ""
	if sess != nil {
		did = sess.DeviceID
	}
	rec, err := g.recoveryInfoOf(r.Context(), v.Email, did)
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	keys, err := g.apikeys.List(r.Context(), v.Email)
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	data.Email, data.CurrentSID, data.CSRF = v.Email, v.SessionID, csrfToken(raw)
	data.Sessions, data.Devices, data.Keys, data.Recovery = sessions, devices, keys, rec
	data.KeyFresh = g.freshLogin(v, time.Now())
	data.ReloginURL = g.loginURL(g.cfg.Prefix + "/")
	script := ""
	if data.NewKey != nil {
		script = "keys.js" // the Copy button of the key shown once
	}
	g.render(w, r, status, "home", "Your account", script, data)
}

// handleLogout signs the browser out (or out everywhere), on every
// instance, and clears its cookie. It needs the CSRF token.
func (g *Gateway) handleLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	v, raw := g.logoutTarget(r)
	if v == nil {
		// A post from another site arrives without the SameSite=Lax
		// cookie, but the browser would still apply the answer's
		// Set-Cookie: refuse it, or any site could sign its visitors
		// out.
		if !g.sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross-site request refused")
			return
		}
		g.clearSessionCookie(w, r)
		g.afterLogout(w, r)
		return
	}
	if !g.csrfOK(r, raw) {
		writeError(w, http.StatusForbidden, "missing or wrong CSRF token")
		return
	}
	// Each branch applies its revocation here at once, before the
	// published one comes back to this instance.
	if r.PostFormValue("everywhere") == "1" {
		gen, err := g.flow.LogoutEverywhere(r.Context(), v.Email)
		if err != nil {
			g.storeFailure(w, r, err)
			return
		}
		g.revocations.Apply(store.RevocationEvent{Email: v.Email, Generation: gen})
	} else {
		if err := g.flow.Logout(r.Context(), v.SessionID, v.Email, v.ExpiresAt); err != nil {
			g.storeFailure(w, r, err)
			return
		}
		g.revocations.Apply(store.RevocationEvent{SessionID: v.SessionID, Until: v.ExpiresAt})
	}
	g.clearSessionCookie(w, r)
	g.afterLogout(w, r)
}

// logoutTarget returns the request's verified token unless it is already
// revoked. Unlike current, it keeps a token while the revocation set is
// stale: answering "signed out" without revoking would leave every copy
// of the cookie working once the set is fresh again.
func (g *Gateway) logoutTarget(r *http.Request) (*token.Verified, string) {
	raw := cookieValue(r.Header, g.sessionCookieName(r))
	if raw == "" {
		return nil, ""
	}
	now := time.Now()
	v, err := g.tokens.Verify(raw, now)
	if err != nil || g.revocations.Check(v.SessionID, v.Email, v.Generation, v.Epoch, now) == token.Revoked {
		return nil, ""
	}
	return v, raw
}

func (g *Gateway) afterLogout(w http.ResponseWriter, r *http.Request) {
	if isJSON(r) || r.Header.Get("Accept") == "application/json" {
		writeJSON(w, http.StatusOK, map[string]string{"status": "logged_out"})
		return
	}
	http.Redirect(w, r, g.cfg.Prefix+"/login?logged_out=1", http.StatusSeeOther)
}

// handleRevokeSession ends another session of the signed-in user.
func (g *Gateway) handleRevokeSession(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	v, raw := g.current(r)
	if v == nil || !g.csrfOK(r, raw) {
		writeError(w, http.StatusForbidden, "sign in and send the CSRF token to revoke a session")
		return
	}
	sess, err := g.store.GetSession(r.Context(), r.PathValue("sid"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && sess.Email != v.Email) {
		writeError(w, http.StatusNotFound, "no such session")
		return
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	if err := g.flow.RevokeSession(r.Context(), sess, v.Email); err != nil {
		g.storeFailure(w, r, err)
		return
	}
	g.revocations.Apply(store.RevocationEvent{SessionID: sess.ID, Until: sess.ExpiresAt})
	if sess.ID == v.SessionID {
		g.clearSessionCookie(w, r)
		http.Redirect(w, r, g.cfg.Prefix+"/login?logged_out=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, g.cfg.Prefix+"/?removed=session", http.StatusSeeOther)
}

// handleApp serves the approver app's page; app.js does the rest.
func (g *Gateway) handleApp(w http.ResponseWriter, r *http.Request) {
	g.render(w, r, http.StatusOK, "app", "Approver", "app.js", nil)
}
