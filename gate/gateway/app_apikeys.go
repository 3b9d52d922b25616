package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/gate/apikey"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/token"
)

// maxKeyLifetime is the longest expiry the create form takes.
const maxKeyLifetime = 5 * 365 * 24 * time.Hour

// defaultKeyLifetime is the expiry of a key whose form names none, the
// form's own first choice: a key that never expires must be asked for
// (an empty expiry), never be what leaving the field out gives.
const defaultKeyLifetime = "30d"

// parseKeyLifetime reads the create form's expiry: "" for never, "<n>d"
// for days, or a Go duration ("12h", "90m"), from 1 s to 5 years.
func parseKeyLifetime(s string) (time.Duration, bool) {
	if s == "" {
		return 0, true
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 5*365 {
			return 0, false
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, false
		}
	}
	return d, d >= time.Second && d <= maxKeyLifetime
}

// freshLogin reports whether the session's sign-in was approved on a
// phone recently enough to create an API key. A sign-in with a recovery
// code or an access pass was approved by no phone: a key outlives
// signing out everywhere, so a stolen code must not make one.
func (g *Gateway) freshLogin(v *token.Verified, now time.Time) bool {
	if otp.WithoutPhone(v.DeviceID) {
		return false
	}
	return now.Sub(v.IssuedAt) <= g.cfg.APIKeyFreshLogin
}

// handleCreateKey is POST /keys from the signed-in page: name and expiry
// in, the page back with the new key shown once. It needs the session
// cookie (a key cannot make keys), the CSRF token, and a sign-in approved
// within APIKeyFreshLogin.
func (g *Gateway) handleCreateKey(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	v, raw := g.current(r)
	if v == nil || !g.csrfOK(r, raw) {
		writeError(w, http.StatusForbidden, "sign in and send the CSRF token to create an API key")
		return
	}
	name := r.PostFormValue("name")
	if !g.freshLogin(v, time.Now()) {
		g.renderHome(w, r, v, raw, http.StatusForbidden, homePage{KeyName: name,
			KeyError: "Creating a key needs a recent sign-in approved on your phone. Sign in again, then create the key."})
		return
	}
	expiry := defaultKeyLifetime
	if v, sent := r.PostForm["expires"]; sent && len(v) > 0 {
		expiry = v[0]
	}
	life, ok := parseKeyLifetime(expiry)
	if !ok {
		g.renderHome(w, r, v, raw, http.StatusBadRequest, homePage{KeyName: name, KeyError: "Choose an expiry from the list."})
		return
	}
	var expires time.Time
	if life > 0 {
		expires = time.Now().Add(life).UTC().Truncate(time.Millisecond)
	}
	created, err := g.apikeys.Create(r.Context(), v.Email, name, expires)
	switch {
	case err == nil:
		g.renderHome(w, r, v, raw, http.StatusOK, homePage{NewKey: created})
	case errors.Is(err, apikey.ErrInvalidName):
		g.renderHome(w, r, v, raw, http.StatusBadRequest, homePage{KeyError: "Give the key a name, so you can tell it apart later."})
	case errors.Is(err, apikey.ErrTooMany):
		g.renderHome(w, r, v, raw, http.StatusConflict, homePage{KeyName: name, KeyError: "You have as many keys as allowed. Revoke one you no longer use first."})
	default:
		g.storeFailure(w, r, err)
	}
}

// handleRevokeOwnKey is POST /keys/{id}/revoke from the signed-in page:
// the user revokes one of their own keys, on every instance. It needs
// the CSRF token; another user's key is answered as unknown.
func (g *Gateway) handleRevokeOwnKey(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	v, raw := g.current(r)
	if v == nil || !g.csrfOK(r, raw) {
		writeError(w, http.StatusForbidden, "sign in and send the CSRF token to revoke an API key")
		return
	}
	k, err := g.apikeys.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.Email != v.Email) {
		writeError(w, http.StatusNotFound, "no such API key")
		return
	}
	if err != nil {
		g.storeFailure(w, r, err)
		return
	}
	if _, err := g.apikeys.Revoke(r.Context(), k.ID, v.Email); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "no such API key")
			return
		}
		g.storeFailure(w, r, err)
		return
	}
	http.Redirect(w, r, g.cfg.Prefix+"/?removed=key", http.StatusSeeOther)
}

// ListAPIKeys returns the API keys of email (canonicalised), oldest
// first, for the admin API; none is an empty list. A malformed email is
// an error wrapping flow.ErrInvalidEmail.
func (g *Gateway) ListAPIKeys(ctx context.Context, email string) ([]*store.APIKey, error) {
	email = policy.CanonicalEmail(email)
	if !policy.ValidEmail(email) {
		return nil, fmt.Errorf("listing API keys of %q: %w", email, flow.ErrInvalidEmail)
	}
	return g.apikeys.List(ctx, email)
}

// RevokeAPIKey revokes the key id as an operator, on every instance, and
// emits api_key_revoked with by "admin". An unknown key is an error
// wrapping store.ErrNotFound.
func (g *Gateway) RevokeAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	return g.apikeys.Revoke(ctx, id, "admin")
}
