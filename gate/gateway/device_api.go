package gateway

import (
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/store"
)

// handleEnroll is POST /device/enroll: a phone registers its public key
// with a one-time enrolment token.
func (g *Gateway) handleEnroll(w http.ResponseWriter, r *http.Request) {
	var req device.EnrollRequest
	if !readJSON(w, r, &req) {
		return
	}
	der, err := base64.RawURLEncoding.DecodeString(req.PublicKey)
	if err != nil {
		writeError(w, http.StatusBadRequest, "public_key must be base64url of a PKIX P-256 key")
		return
	}
	var secret []byte
	d, err := g.enroller.EnrollWith(r.Context(), req.Token, der, req.Name, r.UserAgent(), func(d *store.Device) {
		var sealed []byte
		secret, sealed = g.codes.NewDeviceSecret(d.ID)
		d.OTPSecret, d.OTPAlgorithm = sealed, string(otp.DefaultAlgorithm)
	})
	switch {
	case errors.Is(err, device.ErrEnrollmentInvalid):
		writeError(w, http.StatusNotFound, "enrolment link is invalid, used or expired")
		return
	case errors.Is(err, device.ErrInvalidKey):
		writeError(w, http.StatusBadRequest, "public_key must be a PKIX P-256 key")
		return
	case err != nil:
		g.storeFailure(w, r, err)
		return
	}
	g.events.Emit(r.Context(), event.New(event.DeviceEnrolled, map[string]any{
		"device_id": d.ID, "device_name": d.Name, "email": d.Email,
	}))
	resp := device.EnrollResponse{
		DeviceID: d.ID, Email: d.Email, Name: d.Name,
		OTPSecret: base64.RawURLEncoding.EncodeToString(secret), OTPAlgorithm: d.OTPAlgorithm,
		OTPDigits: otp.Digits, OTPPeriod: int(otp.Period / time.Second),
	}
	resp.RecoveryCodes, err = g.firstRecoveryCodes(r, d.Email)
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

// deviceRefused answers a device request the verifier refused (401) or
// could not check (503) and reports whether it did.
func (g *Gateway) deviceRefused(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, device.ErrUnauthorized):
		writeError(w, http.StatusUnauthorized, err.Error())
	default:
		g.storeFailure(w, r, err)
	}
	return true
}

// authDevice checks a device request's signature; on failure it has
// answered and returns nil.
func (g *Gateway) authDevice(w http.ResponseWriter, r *http.Request) (*store.Device, []byte) {
	body, err := ReadBody(r)
	if err != nil {
		writeBodyError(w, err)
		return nil, nil
	}
	d, err := g.verifier.VerifyRequest(r.Context(), r, body)
	if errors.Is(err, device.ErrUnauthorized) {
		writeError(w, http.StatusUnauthorized, err.Error())
		return nil, nil
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return nil, nil
	}
	return d, body
}

// handlePending is GET /device/pending: the logins waiting for this
// device's user.
func (g *Gateway) handlePending(w http.ResponseWriter, r *http.Request) {
	body, err := ReadBody(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	// The pending login is read with the request's replay marker: one
	// round trip, and nothing read for a refused request.
	pending, err := g.verifier.VerifyPendingRequest(r.Context(), r, body)
	if errors.Is(err, device.ErrUnauthorized) {
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	logins, err := g.flow.PendingRead(r.Context(), pending.Device, pending.Login, pending.LoginErr)
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	// The stream's shape: device.PendingResponse's fields and more.
	writeJSON(w, http.StatusOK, pendingEventOf(logins, time.Now(), g.flow.Config().ReportBlock, requestIP(r), g.locate))
}

// handleDecide is POST /device/decide: approve (with the number tapped),
// deny or report one login, signed twice (the request and the decision).
func (g *Gateway) handleDecide(w http.ResponseWriter, r *http.Request) {
	body, err := ReadBody(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	// The request's signature is checked here; its replay marker is
	// taken by the decision's own step, so a replayed request changes
	// nothing at all.
	p, err := g.verifier.Prepare(r.Context(), r, body)
	if g.deviceRefused(w, r, err) {
		return
	}
	var req device.DecideRequest
	if !bodyJSON(w, body, &req) {
		return
	}
	if err := device.ValidateDecision(req.SessionID, req.Decision, req.Number); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	sig, err := device.DecodeSignature(req.Sig)
	if err != nil {
		writeError(w, http.StatusBadRequest, "sig must be base64url")
		return
	}
	if err := device.VerifyDecision(p.PublicKey, req.SessionID, req.Decision, req.Number, req.TS, sig, time.Now(), g.cfg.DeviceMaxSkew); err != nil {
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	res := g.flow.DecideWithUse(r.Context(), p.Email, p.Use, req.SessionID, req.Decision, req.Number)
	if _, err := p.Finish(res.Device, res.UseErr); g.deviceRefused(w, r, err) {
		return
	}
	l, err := res.Login, res.Err
	switch {
	case errors.Is(err, flow.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such login")
	case errors.Is(err, flow.ErrAlreadyDecided):
		writeError(w, http.StatusConflict, "login already decided")
	case errors.Is(err, flow.ErrExpired):
		writeError(w, http.StatusGone, "login expired")
	case errors.Is(err, flow.ErrBadDecision):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		g.storeFailure(w, r, err)
	default:
		resp := device.DecideResponse{Status: string(l.Status)}
		if l.Reason == flow.ReasonReported {
			if p, err := g.flow.Paused(r.Context(), l.Email); err == nil && p != nil {
				resp.PausedUntil = p.Until.UTC()
			}
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

// handleDeviceMe is GET /device/me.
func (g *Gateway) handleDeviceMe(w http.ResponseWriter, r *http.Request) {
	if d, _ := g.authDevice(w, r); d != nil {
		writeJSON(w, http.StatusOK, device.InfoOf(d))
	}
}

// handleDeviceRename is POST /device/rename.
func (g *Gateway) handleDeviceRename(w http.ResponseWriter, r *http.Request) {
	d, body := g.authDevice(w, r)
	if d == nil {
		return
	}
	var req device.RenameRequest
	if !bodyJSON(w, body, &req) {
		return
	}
	if device.BlankName(req.Name) {
		writeError(w, http.StatusBadRequest, "name must hold a printable character")
		return
	}
	d.Name = device.CleanName(req.Name)
	if err := g.store.UpdateDevice(r.Context(), d.ID, d.Name, time.Now()); err != nil {
		g.storeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, device.InfoOf(d))
}
