package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/store"
)

// Signing in with a typed code instead of a push: an offline code from
// the approver app, a recovery code, or an access pass from an operator.
// The code page is reached from the login page (no login yet: one is
// started without a push when the form is sent) and from the waiting
// page (the code then approves that login).

// codePage is the data of the code form.
type codePage struct {
	ID        string // the login the code is for, once there is one
	Email     string
	ReturnURL string
	Error     string
}

// handleCodePage shows the code form. With ?id= of a login this browser
// started, the code will approve that login.
func (g *Gateway) handleCodePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := codePage{ReturnURL: q.Get("rd")}
	if _, ok := safeReturnURL(data.ReturnURL, g.requestOrigin(r), g.allowedReturnHost); !ok {
		data.ReturnURL = ""
	}
	if id := q.Get("id"); id != "" {
		l, err := g.store.GetLogin(r.Context(), id)
		if err == nil && l.Status == store.LoginPending && flow.BindingMatches(g.bindingSecret(r), l.BindingHash) {
			data.ID, data.Email, data.ReturnURL = l.ID, l.Email, l.ReturnURL
		}
	}
	g.renderCode(w, r, http.StatusOK, data)
}

func (g *Gateway) renderCode(w http.ResponseWriter, r *http.Request, status int, data codePage) {
	// The form of a waiting login posts its id only: the page shown
	// again, with a refused code's error, still names whom it signs in.
	if data.ID != "" && data.Email == "" {
		if l, err := g.store.GetLogin(r.Context(), data.ID); err == nil && flow.BindingMatches(g.bindingSecret(r), l.BindingHash) {
			data.Email = l.Email
		}
	}
	g.render(w, r, status, "code", "Enter a code", "", data)
}

// handleCodeForm approves a login with a typed code from the code form
// and sends the browser on: to the page it asked for, or, after an
// access pass, to the enrolment of a new phone.
func (g *Gateway) handleCodeForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		g.renderCode(w, r, http.StatusBadRequest, codePage{Error: "The form could not be read."})
		return
	}
	f := r.PostForm
	data := codePage{ID: f.Get("id"), Email: f.Get("email"), ReturnURL: f.Get("rd")}
	if !g.sameOrigin(r) {
		g.renderCode(w, r, http.StatusForbidden, codePage{Error: "This sign-in request came from another site."})
		return
	}
	binding := g.bindingSecret(r)
	if data.ID == "" {
		started, err := g.startLogin(w, r, data.Email, data.ReturnURL, true)
		if err != nil {
			g.codeStartError(w, r, data, err)
			return
		}
		data.ID, binding, data.Email = started.Login.ID, started.Binding, started.Login.Email
	}
	next, enrol, err := g.redeem(w, r, data.ID, binding, f.Get("code"))
	var codeErr *flow.CodeError
	var limit *flow.LimitError
	switch {
	case err == nil && enrol:
		// The enrolment link travels in the page, never in a Location
		// header, which access logs record.
		g.render(w, r, http.StatusOK, "message", "Set up your new phone", "", message{
			Message: "You are signed in with an access pass. Open the approver app to set up your new phone: this link works once, for 15 minutes.",
			Link:    next, LinkText: "Set up a new phone",
		})
	case err == nil:
		http.Redirect(w, r, next, http.StatusSeeOther)
	case errors.As(err, &codeErr) && codeErr.Denied:
		g.render(w, r, http.StatusForbidden, "message", "Sign-in denied", "", message{
			Message: "Too many wrong codes were entered, so this sign-in was refused.",
			Link:    g.loginURL(data.ReturnURL), LinkText: "Start again",
		})
	case errors.As(err, &codeErr):
		data.Error = codeMessage(codeErr)
		g.renderCode(w, r, codeStatus(codeErr), data)
	case errors.As(err, &limit):
		g.codeStartError(w, r, data, err)
	case errors.Is(err, flow.ErrNotFound):
		g.renderCode(w, r, http.StatusNotFound, codePage{ReturnURL: data.ReturnURL, Email: data.Email,
			Error: "That sign-in was not started in this browser. Enter your email and the code to start a new one."})
	case errors.Is(err, flow.ErrAlreadyDecided), errors.Is(err, flow.ErrExpired):
		g.render(w, r, http.StatusConflict, "message", "Start again", "", message{
			Message: "This sign-in has already ended.", Link: g.loginURL(data.ReturnURL), LinkText: "Sign in again",
		})
	default:
		g.storeFailure(w, r, err)
	}
}

// codeStartError answers a refused start from the code form.
func (g *Gateway) codeStartError(w http.ResponseWriter, r *http.Request, data codePage, err error) {
	var limit *flow.LimitError
	switch {
	case errors.Is(err, flow.ErrInvalidEmail):
		data.Error = "Please enter a valid email address."
		g.renderCode(w, r, http.StatusBadRequest, data)
	case errors.Is(err, flow.ErrInvalidReturn):
		data.ReturnURL, data.Error = "", "The page to return to is not on this site; please sign in again."
		g.renderCode(w, r, http.StatusBadRequest, data)
	case errors.As(err, &limit):
		g.renderLimit(w, r, limit, data.ReturnURL, func(text string) {
			data.Error = text
			g.renderCode(w, r, http.StatusTooManyRequests, data)
		})
	default:
		g.writeLoginError(w, r, err, func(text string, status int) {
			data.Error = text
			g.renderCode(w, r, status, data)
		})
	}
}

// codeMessage is what the code form says of a refused code.
func codeMessage(e *flow.CodeError) string {
	msg := "That code is not right."
	switch {
	case errors.Is(e.Err, otp.ErrMalformed):
		msg = "A code from the approver app is 6 digits; a recovery code looks like XXXXX-XXXXX."
	case errors.Is(e.Err, otp.ErrReplayed):
		msg = "That code was already used. Wait for the next code on your phone."
	case errors.Is(e.Err, flow.ErrOfflineCodesOff):
		msg = "Codes from the approver app are off for this account: too many were tried. Approve the sign-in on your phone, use a recovery code, or ask your administrator."
	}
	if e.Left == 1 {
		return msg + " One try left."
	}
	return msg
}

// codeStatus is the status of a refused code: 400 for one of no known
// shape, 403 for a wrong or used one.
func codeStatus(e *flow.CodeError) int {
	if errors.Is(e.Err, otp.ErrMalformed) {
		return http.StatusBadRequest
	}
	return http.StatusForbidden
}

// redeem approves login id with a typed code for the browser holding
// binding, collects its session, sets the cookie and returns where to go
// next: after an access pass (enrol set), the enrolment link of a new
// phone, which holds a one-time secret.
func (g *Gateway) redeem(w http.ResponseWriter, r *http.Request, id, binding, typed string) (next string, enrol bool, err error) {
	red, err := g.flow.RedeemCode(r.Context(), id, binding, typed)
	if err != nil {
		return "", false, err
	}
	res, err := g.flow.Check(r.Context(), id, binding)
	if err != nil {
		return "", false, err
	}
	if res.Session == nil {
		return "", false, flow.ErrAlreadyDecided
	}
	if err := g.issueCookie(w, r, res); err != nil {
		return "", false, err
	}
	if red.Kind == otp.KindPass {
		tok, _, err := g.enroller.CreateToken(r.Context(), red.Login.Email)
		if err != nil {
			return "", false, err
		}
		return g.cfg.Prefix + "/app#enroll=" + tok, true, nil
	}
	return red.Login.ReturnURL, false, nil
}

// codeRequest is the JSON body of POST /auth/code.
type codeRequest struct {
	SessionID string `json:"session_id"`
	Code      string `json:"code"`
}

// codeResponse answers an accepted code.
type codeResponse struct {
	Status   string `json:"status"`
	Redirect string `json:"redirect"`
}

// handleCode is the JSON API's POST /auth/code: a typed code approves a
// login this browser started (as POST /auth/start returned it).
func (g *Gateway) handleCode(w http.ResponseWriter, r *http.Request) {
	if !g.sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross-site request refused")
		return
	}
	var req codeRequest
	if !readJSON(w, r, &req) {
		return
	}
	next, _, err := g.redeem(w, r, req.SessionID, g.bindingSecret(r), req.Code)
	var codeErr *flow.CodeError
	var limit *flow.LimitError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, codeResponse{Status: "approved", Redirect: next})
	case errors.As(err, &limit):
		w.Header().Set("Retry-After", retryAfterSeconds(limit.RetryAfter))
		writeError(w, http.StatusTooManyRequests, limit.Error())
	case errors.As(err, &codeErr):
		status := codeStatus(codeErr)
		if codeErr.Denied {
			status = http.StatusForbidden
		}
		writeError(w, status, codeErr.Error())
	case errors.Is(err, flow.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such login")
	case errors.Is(err, flow.ErrAlreadyDecided):
		writeError(w, http.StatusConflict, "login already decided")
	case errors.Is(err, flow.ErrExpired):
		writeError(w, http.StatusGone, "login expired")
	default:
		g.storeFailure(w, r, err)
	}
}

// pauseMessage says why and until when sign-ins are paused.
func pauseMessage(reason string, until time.Time) string {
	at := until.UTC().Format("15:04") + " UTC"
	if reason == flow.ReasonReported {
		return "Sign-ins for this account are paused until " + at + " because a request was reported. Contact your administrator."
	}
	// The count takes every request nobody approved: denied, unanswered,
	// and those its own browser sent again or cancelled, not only refused
	// ones. A lockout stops pushes only: codes still sign in.
	return "Requests to your phone for this account are paused until " + at + " after too many sign-in requests that were not approved. You can still sign in with a code from your approver app or a recovery code, or contact your administrator."
}

// codeURL is the code form's address for a return path.
func (g *Gateway) codeURL(returnTo string) string {
	return g.cfg.Prefix + "/code?rd=" + url.QueryEscape(returnTo)
}

// renderLimit answers a refused start: the paused page (no retry) for a
// report or a lockout, else other(text) with the right words.
func (g *Gateway) renderLimit(w http.ResponseWriter, r *http.Request, limit *flow.LimitError, returnURL string, other func(text string)) {
	w.Header().Set("Retry-After", retryAfterSeconds(limit.RetryAfter))
	switch limit.Reason {
	case flow.ReasonReported:
		g.render(w, r, http.StatusTooManyRequests, "message", "Sign-ins paused", "", message{
			Message: pauseMessage(limit.Reason, time.Now().Add(limit.RetryAfter)),
		})
	case flow.ReasonLocked:
		g.render(w, r, http.StatusTooManyRequests, "message", "Sign-ins paused", "", message{
			Message: pauseMessage(limit.Reason, time.Now().Add(limit.RetryAfter)),
			Link:    g.codeURL(returnURL), LinkText: "Enter a code",
		})
	case flow.ReasonCodesPaused:
		other("Too many wrong codes were entered for this account, so codes are refused until " +
			time.Now().Add(limit.RetryAfter).UTC().Format("15:04") + " UTC. Approve the sign-in on your phone instead, or ask your administrator.")
	case flow.ReasonPending:
		other("A sign-in for this account is already waiting for approval in another browser. Approve or deny it on your phone, or try again in " +
			humanDuration(limit.RetryAfter) + ".")
	default:
		other("Too many sign-in requests for this account right now. Please try again in " + humanDuration(limit.RetryAfter) + ".")
	}
}

// writeLoginError answers the other start failures of a form.
func (g *Gateway) writeLoginError(w http.ResponseWriter, r *http.Request, err error, show func(text string, status int)) {
	var refused *flow.RefusedError
	if errors.As(err, &refused) {
		show("Sign-in refused: "+refused.Reason, http.StatusForbidden)
		return
	}
	g.storeFailure(w, r, err)
}
