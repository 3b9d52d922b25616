package push

import (
	"crypto/ecdh"
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// SubscriptionJSON is a browser's PushSubscription.toJSON(), as the
// approver app sends it.
type SubscriptionJSON struct {
	Endpoint string `json:"endpoint"`
	// ExpirationTime is when the browser will renew the subscription
	// (Unix ms), usually null; the renewal arrives through
	// pushsubscriptionchange, so it is accepted and not kept.
	ExpirationTime *float64 `json:"expirationTime,omitempty"`
	Keys           struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// ErrBadSubscription is wrapped by ParseSubscription for malformed keys.
var ErrBadSubscription = errors.New("push: malformed subscription")

// ParseSubscription checks a browser's subscription: its endpoint on the
// allow-list (ErrNotAllowed otherwise), p256dh a P-256 point and auth 16
// bytes (ErrBadSubscription otherwise). keyID names the server key the
// browser subscribed with.
func ParseSubscription(allow *AllowList, j SubscriptionJSON, keyID string, now time.Time) (*store.PushSubscription, error) {
	if _, err := allow.CheckEndpoint(j.Endpoint); err != nil {
		return nil, err
	}
	p256dh, err := decodeB64(j.Keys.P256dh)
	if err != nil {
		return nil, fmt.Errorf("%w: p256dh is not base64url", ErrBadSubscription)
	}
	if _, err := ecdh.P256().NewPublicKey(p256dh); err != nil || len(p256dh) != 65 {
		return nil, fmt.Errorf("%w: p256dh is not an uncompressed P-256 point", ErrBadSubscription)
	}
	auth, err := decodeB64(j.Keys.Auth)
	if err != nil || len(auth) != authSecretLen {
		return nil, fmt.Errorf("%w: auth must be base64url of %d bytes", ErrBadSubscription, authSecretLen)
	}
	return &store.PushSubscription{Endpoint: j.Endpoint, P256dh: p256dh, Auth: auth, KeyID: keyID, UpdatedAt: now}, nil
}
