package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/apikey"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/token"
)

// APIKeyMode says which credentials a protected site accepts.
type APIKeyMode uint8

// The modes of a site (the directive's api_keys option).
const (
	// APIKeysOn accepts session cookies and API keys (the default).
	APIKeysOn APIKeyMode = iota
	// APIKeysOff accepts session cookies only; a request with a key is
	// refused.
	APIKeysOff
	// APIKeysOnly accepts API keys only: an API-only site, where no
	// request is sent to the login page.
	APIKeysOnly
)

// ParseAPIKeyMode reads "on", "off" or "only"; "" is on.
func ParseAPIKeyMode(s string) (APIKeyMode, error) {
	switch s {
	case "", "on":
		return APIKeysOn, nil
	case "off":
		return APIKeysOff, nil
	case "only":
		return APIKeysOnly, nil
	}
	return 0, fmt.Errorf("api_keys: %q is not on, off or only", s)
}

// newAPIKeys builds the API key service on the gateway's store, keys and
// revocation set. A key's owner has the groups of the group lines and,
// with a directory, those the directory gives; an owner the directory no
// longer knows has no working keys.
func newAPIKeys(cfg Config, deps Deps, revs *token.Revocations, groups *policy.Groups) (*apikey.Service, error) {
	h, err := apikey.NewHasher(deps.Keys)
	if err != nil {
		return nil, err
	}
	owner := func(ctx context.Context, email string) ([]string, bool, error) {
		var dirGroups []string
		if deps.Directory != nil {
			u, found, err := deps.Directory.Lookup(ctx, email)
			if err != nil || !found {
				return nil, false, err
			}
			dirGroups = u.Groups
		}
		return policy.MergeGroups(groups.Of(email), dirGroups), true, nil
	}
	return apikey.New(cfg.APIKeys, apikey.Deps{
		Store: deps.Store, Hasher: h, Revocations: revs, Owner: owner,
		Events: deps.Events, Logger: deps.Logger,
	})
}

// bearerKey returns the key of an "Authorization: Bearer ag_…" header
// (scheme in any case), without allocating. Other credentials are not
// the gateway's and are left for the upstream.
func bearerKey(values []string) (string, bool) {
	for _, v := range values {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			if tok := strings.TrimSpace(v[7:]); strings.HasPrefix(tok, apikey.Prefix) {
				return tok, true
			}
		}
	}
	return "", false
}

// keyInQuery reports whether the query holds an API key anywhere: as it
// stands, or once its percent escapes are decoded (up to three times, a
// bad escape left as it is), so that no spelling a server or the
// upstream could decode into a key gets past. Keys in URLs end up in
// histories, proxies' logs and Referer headers, so such a request is
// refused, never served.
func keyInQuery(rawQuery string) bool {
	if containsKey(rawQuery) {
		return true
	}
	for i := 0; i < 3 && strings.Contains(rawQuery, "%"); i++ {
		decoded := unescapeLeniently(rawQuery)
		if decoded == rawQuery {
			break
		}
		if containsKey(decoded) {
			return true
		}
		rawQuery = decoded
	}
	return false
}

// unescapeLeniently decodes every valid %XX escape of s and leaves the
// rest of it, bad escapes included, as it is.
func unescapeLeniently(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// containsKey reports whether s holds a whole key anywhere ("ag_…",
// "Bearer ag_…", a JSON blob with one): not inside a word
// (flag_enabled_for_…) nor followed by more of a key's characters, which
// no reader would take for a key.
func containsKey(s string) bool {
	for i := strings.Index(s, apikey.Prefix); i >= 0 && len(s)-i >= apikey.KeyLen; {
		end := i + apikey.KeyLen
		alone := (i == 0 || !alphanumeric(s[i-1])) && (end == len(s) || !apikey.IsKeyChar(s[end]))
		if _, ok := apikey.Parse(s[i:end]); ok && alone {
			return true
		}
		next := strings.Index(s[i+1:], apikey.Prefix)
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

func alphanumeric(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}

// serveKey serves a request that carries an API key: it passes as the
// key's owner, with the owner's groups, through the route's policy, with
// the same identity headers as a session (X-Authgate-Key instead of
// X-Authgate-Session) and without its Authorization header or the
// gateway's cookie. A warm key makes no store round trip.
func (rt *Route) serveKey(w http.ResponseWriter, r *http.Request, next Next, raw string) error {
	g := rt.gw
	if rt.keys == APIKeysOff {
		rt.keyRefused(w, "API keys are not accepted on this site")
		return nil
	}
	v, err := g.apikeys.Authenticate(r.Context(), raw, rt.clientIP(r), time.Now())
	if err != nil {
		rt.keyFailed(w, r, err)
		return nil
	}
	if !rt.policy.Allows(v.Email, v.Groups) {
		rt.emitKeyAccess(r, v, false)
		writeError(w, http.StatusForbidden, "this account may not use this site")
		return nil
	}
	h := r.Header
	stripIdentityHeaders(h, true)
	stripIdentityTrailers(r)
	delete(h, HeaderSession)
	delete(h, "Authorization")
	setIdentityHeaders(h, v.Email, v.GroupsHeader, HeaderKey, v.ID)
	removeGateCookies(h)
	if rt.accessEvents {
		rt.emitKeyAccess(r, v, true)
	}
	return next.ServeHTTP(w, r)
}

// keyFailed answers a key that did not authenticate: 401 for a bad,
// unknown, expired or revoked key, 429 over its rate, 503 when it cannot
// be checked. The key itself is never logged.
func (rt *Route) keyFailed(w http.ResponseWriter, r *http.Request, err error) {
	var limit *apikey.LimitError
	switch {
	case errors.Is(err, apikey.ErrInvalid), errors.Is(err, apikey.ErrRevoked):
		rt.keyRefused(w, "invalid, expired or revoked API key")
	case errors.As(err, &limit):
		w.Header().Set("Retry-After", retryAfterSeconds(limit.RetryAfter))
		writeError(w, http.StatusTooManyRequests, "this API key is over its rate limit")
	case errors.Is(err, apikey.ErrStale):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "API keys cannot be checked right now")
	default:
		g := rt.gw
		g.log.Warn("checking an API key failed", zapPath(r), zap.Error(err))
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "API keys cannot be checked right now")
	}
}

// keyRefused answers 401 to a request whose key is not accepted.
func (rt *Route) keyRefused(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+quoteSafe(rt.appID)+`", error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, msg)
}

// keyRequired answers 401 to a request without a key on a site that
// takes only keys.
func (rt *Route) keyRequired(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+quoteSafe(rt.appID)+`"`)
	writeError(w, http.StatusUnauthorized, "an API key is required (Authorization: Bearer ag_…)")
}

func (rt *Route) emitKeyAccess(r *http.Request, v *apikey.Verified, granted bool) {
	decision := "denied"
	if granted {
		decision = "granted"
	}
	rt.gw.events.Emit(r.Context(), event.New(event.Access, map[string]any{
		"app_id": rt.appID, "email": v.Email, "key_id": v.ID,
		"method": r.Method, "path": eventPath(r), "ip": rt.clientIP(r), "decision": decision,
	}))
}
