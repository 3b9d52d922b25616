package gateway

import (
	"errors"
	"net/http"
	"strings"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/web"
)

// The waiting page's "Not you?" and "Didn't get it?" actions: cancel the
// login, send the request again, and a QR code of the approver app's
// address for a phone to open. Each acts only for the browser that
// started the login (its binding cookie is SameSite=Strict) and only on a
// same-origin form post.

// ownedLogin checks a wait action's request and returns the login; on
// failure it has answered.
func (g *Gateway) ownedLogin(w http.ResponseWriter, r *http.Request) (id string, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "the form could not be read")
		return "", false
	}
	if !g.sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross-site request refused")
		return "", false
	}
	return r.PathValue("id"), true
}

// waitActionFailed answers a failed lookup of the waiting login: an
// ended or unknown one goes back to the form, another browser's is
// refused, a store failure is a 503. It reports whether it answered.
func (g *Gateway) waitActionFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, flow.ErrNotFound):
		http.Redirect(w, r, g.cfg.Prefix+"/login", http.StatusSeeOther)
	case errors.Is(err, flow.ErrNotYours):
		writeError(w, http.StatusForbidden, "this sign-in was started in another browser")
	default:
		g.storeFailure(w, r, err)
	}
	return true
}

// handleCancel is POST /wait/{id}/cancel: ends the pending login, then
// back to the login form ("then=change": to type another email).
func (g *Gateway) handleCancel(w http.ResponseWriter, r *http.Request) {
	id, ok := g.ownedLogin(w, r)
	if !ok {
		return
	}
	l, err := g.flow.Cancel(r.Context(), id, g.bindingSecret(r))
	if g.waitActionFailed(w, r, err) {
		return
	}
	next := g.loginURL(l.ReturnURL) + "&cancelled=1"
	if r.PostForm.Get("then") == "change" {
		next = g.loginURL(l.ReturnURL) + "&change=1"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// handleResend is POST /wait/{id}/resend: starts the same login again
// (same email, same page to return to), replacing the waiting one, within
// the usual limits; a refusal shows the login form with the reason.
func (g *Gateway) handleResend(w http.ResponseWriter, r *http.Request) {
	id, ok := g.ownedLogin(w, r)
	if !ok {
		return
	}
	l, err := g.flow.Owned(r.Context(), id, g.bindingSecret(r))
	if g.waitActionFailed(w, r, err) {
		return
	}
	g.startFromForm(w, r, loginPage{Email: l.Email, ReturnURL: l.ReturnURL})
}

// handleApproverQR is GET /approver-qr.png: the approver app's address on
// this site as a QR code, for a phone's camera. It draws only this
// site's own address.
func (g *Gateway) handleApproverQR(w http.ResponseWriter, r *http.Request) {
	png, err := web.QRPNG(g.approverURL(r), 5)
	if err != nil {
		writeError(w, http.StatusBadRequest, "the address is too long for a QR code")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(png)
}

// approverURL is the approver app's absolute address on this site.
func (g *Gateway) approverURL(r *http.Request) string {
	o := g.requestOrigin(r)
	host := o.host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if o.port != "" && !(o.scheme == "http" && o.port == "80") && !(o.scheme == "https" && o.port == "443") {
		host += ":" + o.port
	}
	return o.scheme + "://" + host + g.cfg.Prefix + "/app"
}
