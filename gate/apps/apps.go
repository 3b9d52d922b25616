// Package apps holds the apps a standalone gate serves: which browser
// origins may call its API for each app (CORS), and which bearer keys may
// register webhook receivers for it. It knows nothing of HTTP handlers;
// the gateway asks it.
package apps

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/authgate/authgate/gate/text"
)

// App is one app that integrates with the standalone gate.
type App struct {
	// ID is the app_id its logins and events carry.
	ID string
	// Origins are the browser origins ("https://app.example.com",
	// scheme, host and port only) allowed to call the gate's API for this
	// app. None: no browser may; server-side callers still can.
	Origins []string
	// Secret, when set, is the app's bearer key: it may register webhook
	// receivers for this app only.
	Secret string
}

// minSecretLen is the shortest bearer key accepted: long enough that it
// cannot be guessed online.
const minSecretLen = 16

// Registry is the immutable set of apps of one standalone gate.
type Registry struct {
	byID     map[string]*App
	origins  map[string]bool // every listed origin, for preflights
	adminKey [32]byte
	hasAdmin bool
	secrets  [][32]byte // per app, in order
	order    []*App
}

// New checks apps and adminKey and returns the registry. App ids must be
// unique and printable, origins plain scheme://host[:port] (never "*"),
// keys at least 16 characters and all different.
func New(list []App, adminKey string) (*Registry, error) {
	r := &Registry{byID: map[string]*App{}, origins: map[string]bool{}}
	var errs []error
	secretOf := map[string]string{} // secret → the first app that has it
	if adminKey != "" {
		if len(adminKey) < minSecretLen {
			errs = append(errs, fmt.Errorf("admin_key: shorter than %d characters", minSecretLen))
		}
		r.adminKey, r.hasAdmin = sha256.Sum256([]byte(adminKey)), true
	}
	for i := range list {
		a := list[i]
		if a.ID == "" || text.Clean(a.ID, 64) != a.ID || strings.ContainsAny(a.ID, " /") {
			errs = append(errs, fmt.Errorf("app %q: the id must be 1 to 64 printable characters without spaces or slashes", a.ID))
			continue
		}
		if r.byID[a.ID] != nil {
			errs = append(errs, fmt.Errorf("app %q: listed twice", a.ID))
			continue
		}
		norm := make([]string, 0, len(a.Origins))
		for _, o := range a.Origins {
			n, err := NormalizeOrigin(o)
			if err != nil {
				errs = append(errs, fmt.Errorf("app %q: %w", a.ID, err))
				continue
			}
			norm = append(norm, n)
			r.origins[n] = true
		}
		a.Origins = norm
		if a.Secret != "" {
			if len(a.Secret) < minSecretLen {
				errs = append(errs, fmt.Errorf("app %q: secret shorter than %d characters", a.ID, minSecretLen))
			}
			if adminKey != "" && a.Secret == adminKey {
				errs = append(errs, fmt.Errorf("app %q: secret is the admin key", a.ID))
			}
			if other, seen := secretOf[a.Secret]; seen {
				errs = append(errs, fmt.Errorf("app %q: secret is the same as app %q's: each app needs its own", a.ID, other))
			} else {
				secretOf[a.Secret] = a.ID
			}
		}
		r.byID[a.ID] = &a
		r.order = append(r.order, &a)
		r.secrets = append(r.secrets, sha256.Sum256([]byte(a.Secret)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// NormalizeOrigin returns o as a browser sends it in Origin: lower-case
// scheme and host, the port only when not the scheme's default. It
// refuses anything that is not http(s)://host[:port] with nothing after.
func NormalizeOrigin(o string) (string, error) {
	if o == "*" || o == "null" {
		return "", fmt.Errorf("origin %q: name each origin (a wildcard would let any site hold its users' tokens)", o)
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.Contains(u.Host, "*") {
		return "", fmt.Errorf("origin %q: want scheme://host[:port], like https://app.example.com", o)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

// Get returns the app with id, or nil.
func (r *Registry) Get(id string) *App { return r.byID[id] }

// IDs returns the app ids in configuration order.
func (r *Registry) IDs() []string {
	out := make([]string, len(r.order))
	for i, a := range r.order {
		out[i] = a.ID
	}
	return out
}

// AllowsOrigin reports whether a browser at origin may call the API for
// app id. The origin is compared exactly as the browser sent it.
func (r *Registry) AllowsOrigin(id, origin string) bool {
	a := r.byID[id]
	return a != nil && slices.Contains(a.Origins, origin)
}

// KnownOrigin reports whether any app lists origin (a preflight names no
// app).
func (r *Registry) KnownOrigin(origin string) bool { return r.origins[origin] }

// Authorize reports whether bearer may act for app id: it is the admin
// key, or that app's secret. Every key is compared, in constant time, so
// the time taken says nothing about which one nearly matched.
func (r *Registry) Authorize(bearer, id string) bool {
	if bearer == "" {
		return false
	}
	sum := sha256.Sum256([]byte(bearer))
	ok := 0
	if r.hasAdmin {
		ok |= subtle.ConstantTimeCompare(sum[:], r.adminKey[:])
	}
	for i, a := range r.order {
		match := subtle.ConstantTimeCompare(sum[:], r.secrets[i][:])
		if a.Secret != "" && a.ID == id {
			ok |= match
		}
	}
	return ok == 1
}
