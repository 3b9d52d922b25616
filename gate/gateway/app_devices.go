package gateway

import (
	"errors"
	"net/http"

	"github.com/authgate/authgate/gate/store"
)

// handleRevokeOwnDevice is POST /devices/{id}/revoke from the account
// page: the signed-in user removes one of their own approver devices. It
// needs the CSRF token; another user's device is answered as unknown.
func (g *Gateway) handleRevokeOwnDevice(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	v, raw := g.current(r)
	if v == nil || !g.csrfOK(r, raw) {
		writeError(w, http.StatusForbidden, "sign in and send the CSRF token to remove a device")
		return
	}
	d, err := g.store.GetDevice(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.Email != v.Email) {
		writeError(w, http.StatusNotFound, "no such device")
		return
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	if err := g.revokeDevice(r.Context(), d, v.Email); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "no such device")
			return
		}
		g.storeFailure(w, r, err)
		return
	}
	http.Redirect(w, r, g.cfg.Prefix+"/?removed=device", http.StatusSeeOther)
}
