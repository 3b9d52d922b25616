package gateway

import (
	"errors"
	"net/http"

	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/push"
)

// pushKeyResponse is the body of GET /push/key.
type pushKeyResponse struct {
	PublicKey string `json:"public_key"` // the applicationServerKey, base64url
	KeyID     string `json:"key_id"`
}

// handlePushKey is GET /push/key: the VAPID public key the approver app
// subscribes with. It is public by nature (every push service sees it).
func (g *Gateway) handlePushKey(w http.ResponseWriter, r *http.Request) {
	if g.push == nil {
		writeError(w, http.StatusNotFound, "push notifications are not set up on this gate")
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, pushKeyResponse{PublicKey: g.push.PublicKey(), KeyID: g.push.KeyID()})
}

// handleDevicePush is POST /device/push: a signed device request that
// registers (or replaces) the device's push subscription, its body the
// browser's PushSubscription JSON. An endpoint that is not on the push
// service allow-list is refused with 400 and never dialled.
func (g *Gateway) handleDevicePush(w http.ResponseWriter, r *http.Request) {
	d, body := g.authDevice(w, r)
	if d == nil {
		return
	}
	if g.push == nil {
		writeError(w, http.StatusNotFound, "push notifications are not set up on this gate")
		return
	}
	var req push.SubscriptionJSON
	if !bodyJSON(w, body, &req) {
		return
	}
	sub, err := g.push.ParseSubscription(req)
	switch {
	case errors.Is(err, push.ErrNotAllowed):
		writeError(w, http.StatusBadRequest, "endpoint is not on this gate's list of push services")
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := g.store.SetPushSubscription(r.Context(), d.ID, sub); err != nil {
		g.storeFailure(w, r, err)
		return
	}
	d.Push = sub
	writeJSON(w, http.StatusOK, device.InfoOf(d))
}

// handleDevicePushOff is DELETE /device/push: the device turns
// notifications off.
func (g *Gateway) handleDevicePushOff(w http.ResponseWriter, r *http.Request) {
	d, _ := g.authDevice(w, r)
	if d == nil {
		return
	}
	if err := g.store.SetPushSubscription(r.Context(), d.ID, nil); err != nil {
		g.storeFailure(w, r, err)
		return
	}
	d.Push = nil
	writeJSON(w, http.StatusOK, device.InfoOf(d))
}
