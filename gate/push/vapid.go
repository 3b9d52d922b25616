package push

import (
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// VAPID JWTs (RFC 8292) last vapidLifetime, the most push services accept
// (12 h), and are made anew when less than vapidRenew is left, so one
// signature serves many messages to the same push service.
const (
	vapidLifetime = 12 * time.Hour
	vapidRenew    = time.Hour
)

// vapidSigner makes and caches the Authorization header for each push
// service origin.
type vapidSigner struct {
	key     *Key
	contact string // the sub claim: mailto: or https: URL
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]vapidToken
}

type vapidToken struct {
	header string
	exp    time.Time
}

func newVAPIDSigner(key *Key, contact string, now func() time.Time) *vapidSigner {
	return &vapidSigner{key: key, contact: contact, now: now, cache: make(map[string]vapidToken)}
}

// header returns `vapid t=<jwt>, k=<public key>` for a message to
// endpoint: the JWT's aud is the endpoint's origin, exp at most 12 h
// away, sub the contact.
func (v *vapidSigner) header(endpoint *url.URL) (string, error) {
	aud := endpoint.Scheme + "://" + endpoint.Host
	now := v.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	if t, ok := v.cache[aud]; ok && t.exp.Sub(now) > vapidRenew {
		return t.header, nil
	}
	exp := now.Add(vapidLifetime)
	claims := jwt.MapClaims{"aud": aud, "exp": exp.Unix()}
	if v.contact != "" {
		claims["sub"] = v.contact
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(v.key.priv)
	if err != nil {
		return "", fmt.Errorf("push: signing VAPID token: %w", err)
	}
	h := "vapid t=" + signed + ", k=" + v.key.PublicKey()
	if len(v.cache) > 64 { // a handful of push services in practice
		clear(v.cache)
	}
	v.cache[aud] = vapidToken{header: h, exp: exp}
	return h, nil
}
