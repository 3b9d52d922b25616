package gateway

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/web"
)

// consoleBase is what every console page receives.
type consoleBase struct {
	Admin   string
	CSRF    string
	Section string
	Notice  string
	Error   string
	// Back is the page's own URL, sent with its forms so a refused
	// action returns here after step-up.
	Back string
	// Fresh is set while the admin's approval is recent enough to act.
	Fresh bool
}

func (g *Gateway) consoleBase(r *http.Request, section string) consoleBase {
	v, raw := adminOf(r)
	return consoleBase{Admin: v.Email, CSRF: csrfToken(raw), Section: section, Back: r.URL.RequestURI(),
		Notice: consoleNotice(r.URL.Query().Get("done")), Fresh: g.recentApproval(v, time.Now())}
}

// consoleNotice words the outcome of the action a redirect names.
func consoleNotice(done string) string {
	return map[string]string{
		"session":    "The session was revoked. That browser is sent back to the gate on its next request.",
		"everywhere": "The user was signed out everywhere.",
		"device":     "The phone was removed. It can no longer approve sign-ins.",
		"key":        "The API key was revoked. Requests with it are refused from now on.",
		"unblock":    "Sign-ins for this user are unblocked.",
		"ping":       "A ping was sent.",
		"enable":     "The webhook is enabled again.",
		"removed":    "The webhook was removed.",
		"replay":     "The event was queued for delivery again.",
		"stepup":     "Approved. You can make changes for the next few minutes.",
	}[done]
}

// usersPage is the data of the console's start page: search by email,
// and the users the gate knows.
type usersPage struct {
	consoleBase
	Email string
	Users []userRow
	// More is how many users are not listed (past consoleUsersShown).
	More int
}

// userRow is one user in the console's list.
type userRow struct {
	Email string
	State string
	// Counts says what the user has ("1 phone · 2 API keys").
	Counts string
	// Note says why a user without a phone is listed ("no phone, 2 API
	// keys"), or "".
	Note string
}

// consoleUsersShown bounds the users the start page lists; past it the
// admin finds a user by email.
const consoleUsersShown = 200

// consoleUsers is the console's start page: find a user, or pick one of
// those with a phone, a session or an API key.
func (g *Gateway) consoleUsers(w http.ResponseWriter, r *http.Request) {
	data := usersPage{consoleBase: g.consoleBase(r, "users")}
	users, more, err := g.listUsers(r.Context(), consoleUsersShown)
	if err != nil {
		// The search still works for a store that answers it.
		g.log.Warn("listing users for the console failed", zap.Error(err))
		data.Error = "The list of users cannot be read right now. Find a user by email, or try again in a moment."
	}
	data.More = more
	for _, u := range users {
		counts := []string{plural(len(u.Devices), "phone", "phones"), plural(len(u.Sessions), "session", "sessions"),
			plural(len(u.APIKeys), "API key", "API keys")}
		data.Users = append(data.Users, userRow{Email: u.Email, State: u.State(), Counts: strings.Join(counts, " · "), Note: u.Note()})
	}
	g.render(w, r, http.StatusOK, "console_users", "Admin console", "", data)
}

// userPage is the data of one user's page.
type userPage struct {
	consoleBase
	Email    string
	Devices  []*store.Device
	Sessions []*store.Session
	APIKeys  []*store.APIKey
	Reported time.Duration
	Locked   time.Duration
	// CodesPaused is how long typed codes stay refused after wrong ones.
	CodesPaused time.Duration
	Enrol       *enrolView
}

// enrolView is a fresh enrolment link with its QR code.
type enrolView struct {
	Link string
	QR   template.URL // data: URL of a PNG the gate drew

	ExpiresAt time.Time
}

// consoleUser shows one user: phones, sessions and state.
func (g *Gateway) consoleUser(w http.ResponseWriter, r *http.Request) {
	g.renderUser(w, r, r.URL.Query().Get("email"), nil)
}

func (g *Gateway) renderUser(w http.ResponseWriter, r *http.Request, email string, enrol *enrolView) {
	base := g.consoleBase(r, "users")
	email = policy.CanonicalEmail(email)
	if !policy.ValidEmail(email) {
		base.Error = "Please enter a valid email address."
		g.render(w, r, http.StatusBadRequest, "console_users", "Admin console", "", usersPage{consoleBase: base, Email: email})
		return
	}
	base.Back = g.cfg.Prefix + "/admin/users?" + url.Values{"email": {email}}.Encode()
	data := userPage{consoleBase: base, Email: email, Enrol: enrol}
	var err error
	if data.Devices, err = g.store.ListDevices(r.Context(), email); err == nil {
		if data.Sessions, err = g.store.ListSessions(r.Context(), email); err == nil {
			if data.APIKeys, err = g.apikeys.List(r.Context(), email); err == nil {
				if data.Reported, data.Locked, err = g.flow.PauseLeft(r.Context(), email); err == nil {
					data.CodesPaused, err = g.flow.CodePauseLeft(r.Context(), email)
				}
			}
		}
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	g.render(w, r, http.StatusOK, "console_user", email, "", data)
}

// backToUser redirects to a user's page with the outcome of an action.
func (g *Gateway) backToUser(w http.ResponseWriter, r *http.Request, email, done string) {
	http.Redirect(w, r, g.cfg.Prefix+"/admin/users?"+url.Values{"email": {email}, "done": {done}}.Encode(), http.StatusSeeOther)
}

// formEmail returns the form's canonical email, or answers 400.
func (g *Gateway) formEmail(w http.ResponseWriter, r *http.Request) (string, bool) {
	email := policy.CanonicalEmail(r.PostFormValue("email"))
	if !policy.ValidEmail(email) {
		g.consoleMessage(w, r, http.StatusBadRequest, "Not changed", "The form did not name a valid email address.")
		return "", false
	}
	return email, true
}

func (g *Gateway) actRevokeSession(w http.ResponseWriter, r *http.Request, admin string) {
	sess, err := g.store.GetSession(r.Context(), r.PathValue("sid"))
	if errors.Is(err, store.ErrNotFound) {
		g.consoleMessage(w, r, http.StatusNotFound, "Not changed", "There is no such session; it may have ended already.")
		return
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	if err := g.flow.RevokeSession(r.Context(), sess, admin); err != nil {
		g.storeFailure(w, r, err)
		return
	}
	g.revocations.Apply(storeRevocation(sess.ID, sess.ExpiresAt))
	g.record(audit.Action(admin, "session_revoke", sess.Email, map[string]any{"sid": sess.ID}))
	g.backToUser(w, r, sess.Email, "session")
}

func (g *Gateway) actSignOutEverywhere(w http.ResponseWriter, r *http.Request, admin string) {
	email, ok := g.formEmail(w, r)
	if !ok {
		return
	}
	gen, err := g.flow.LogoutEverywhere(r.Context(), email)
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	g.revocations.Apply(store.RevocationEvent{Email: email, Generation: gen})
	g.record(audit.Action(admin, "sign_out_everywhere", email, nil))
	g.backToUser(w, r, email, "everywhere")
}

func (g *Gateway) actRemoveDevice(w http.ResponseWriter, r *http.Request, admin string) {
	d, err := g.store.GetDevice(r.Context(), r.PathValue("id"))
	if err == nil {
		err = g.revokeDevice(r.Context(), d, admin)
	}
	if errors.Is(err, store.ErrNotFound) {
		g.consoleMessage(w, r, http.StatusNotFound, "Not changed", "There is no such phone; it may have been removed already.")
		return
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	g.record(audit.Action(admin, "device_remove", d.Email, map[string]any{"device_id": d.ID, "device_name": d.Name}))
	g.backToUser(w, r, d.Email, "device")
}

// actRevokeKey revokes one of a user's API keys on every instance, as
// the user's own revoke does: api_key_revoked names the admin.
func (g *Gateway) actRevokeKey(w http.ResponseWriter, r *http.Request, admin string) {
	k, err := g.apikeys.Get(r.Context(), r.PathValue("id"))
	if err == nil {
		k, err = g.apikeys.Revoke(r.Context(), k.ID, admin)
	}
	if errors.Is(err, store.ErrNotFound) {
		g.consoleMessage(w, r, http.StatusNotFound, "Not changed", "There is no such API key; it may have been revoked already or expired.")
		return
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	g.record(audit.Action(admin, "api_key_revoke", k.Email, map[string]any{"key_id": k.ID, "key_name": k.Name}))
	g.backToUser(w, r, k.Email, "key")
}

func (g *Gateway) actEnroll(w http.ResponseWriter, r *http.Request, admin string) {
	email, ok := g.formEmail(w, r)
	if !ok {
		return
	}
	o := g.requestOrigin(r)
	base := o.scheme + "://" + r.Host + g.cfg.Prefix
	link, exp, err := g.EnrollmentLink(r.Context(), base, email)
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	png, err := web.QRPNG(link, 6)
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	g.record(audit.Action(admin, "enrolment_link", email, map[string]any{"expires_at": exp.UTC().Format(time.RFC3339)}))
	g.renderUser(w, r, email, &enrolView{Link: link, ExpiresAt: exp,
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
}

func (g *Gateway) actUnblock(w http.ResponseWriter, r *http.Request, admin string) {
	email, ok := g.formEmail(w, r)
	if !ok {
		return
	}
	if _, err := g.flow.Unblock(r.Context(), email, admin); err != nil {
		g.storeFailure(w, r, err)
		return
	}
	g.record(audit.Action(admin, "unblock", email, nil))
	g.backToUser(w, r, email, "unblock")
}

func storeRevocation(sid string, until time.Time) store.RevocationEvent {
	return store.RevocationEvent{SessionID: sid, Until: until}
}
