package gateway

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/store"
)

// Recovery codes: ten single-use codes, given with a user's first phone
// and made anew from the account page after a fresh push approval.

// freshApproval is how recent a phone's approval must be for the account
// page to make new recovery codes.
const freshApproval = 10 * time.Minute

// lowRecoveryCodes: fewer left than this, the account page warns.
const lowRecoveryCodes = 3

// firstRecoveryCodes issues recovery codes for email when it has just
// enrolled its only phone and holds none; else it returns nil.
func (g *Gateway) firstRecoveryCodes(r *http.Request, email string) ([]string, error) {
	ctx := r.Context()
	devices, err := g.store.ListDevices(ctx, email)
	if err != nil {
		return nil, err
	}
	left, err := g.store.RecoveryCodesLeft(ctx, email)
	if err != nil || len(devices) != 1 || left > 0 {
		return nil, err
	}
	return g.issueRecoveryCodes(ctx, email, "enrolment")
}

func (g *Gateway) issueRecoveryCodes(ctx context.Context, email, by string) ([]string, error) {
	codes, err := g.codes.IssueRecoveryCodes(ctx, email)
	if err != nil {
		return nil, err
	}
	g.events.Emit(ctx, event.New(event.RecoveryCodesIssued, map[string]any{
		"email": email, "count": len(codes), "by": by,
	}))
	return codes, nil
}

// recoveryInfo is what the account page shows of the recovery codes.
type recoveryInfo struct {
	Left int
	Low  bool
	// UsedNow says the current session was signed in with a recovery code.
	UsedNow bool
}

// recoveryInfoOf reads the account page's recovery figures.
func (g *Gateway) recoveryInfoOf(ctx context.Context, email, deviceID string) (recoveryInfo, error) {
	left, err := g.store.RecoveryCodesLeft(ctx, email)
	if err != nil {
		return recoveryInfo{}, err
	}
	return recoveryInfo{Left: left, Low: left < lowRecoveryCodes, UsedNow: deviceID == otp.ByRecoveryCode}, nil
}

// recoveryPage is the data of the page that shows new codes once.
type recoveryPage struct {
	Codes []string
}

// handleNewRecoveryCodes is POST /recovery-codes from the account page:
// new codes replace the old ones, shown once. It needs the CSRF token and
// a session approved by a phone (not a code) within freshApproval.
func (g *Gateway) handleNewRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	v, raw := g.current(r)
	if v == nil || !g.csrfOK(r, raw) {
		writeError(w, http.StatusForbidden, "sign in and send the CSRF token to make recovery codes")
		return
	}
	sess, err := g.store.GetSession(r.Context(), v.SessionID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		g.storeFailure(w, r, err)
		return
	}
	if sess == nil || time.Since(sess.CreatedAt) > freshApproval || sess.DeviceID == "" || otp.WithoutPhone(sess.DeviceID) {
		g.render(w, r, http.StatusForbidden, "message", "Approve on your phone first", "", message{
			Message: "New recovery codes need a sign-in approved on your phone in the last 10 minutes. Sign in again, approve it on your phone, then make them.",
			Link:    g.loginURL(g.cfg.Prefix + "/"), LinkText: "Sign in again",
		})
		return
	}
	codes, err := g.issueRecoveryCodes(r.Context(), v.Email, v.Email)
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	g.render(w, r, http.StatusOK, "recovery", "Your recovery codes", "", recoveryPage{Codes: codes})
}
