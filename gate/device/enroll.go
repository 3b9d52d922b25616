package device

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// ErrEnrollmentInvalid means an enrolment token is unknown, already used
// or expired. The HTTP layer should not say which.
var ErrEnrollmentInvalid = errors.New("device: enrolment token is invalid, used or expired")

// DefaultEnrollmentTTL is how long an enrolment token works when
// Enroller.TTL is zero.
const DefaultEnrollmentTTL = 15 * time.Minute

// Enroller issues one-time enrolment tokens and turns them into devices.
// Devices is required; the zero TTL means DefaultEnrollmentTTL and a nil
// Now means time.Now. An Enroller is safe for concurrent use.
type Enroller struct {
	// Devices keeps tokens (by hash) and devices.
	Devices store.Devices
	// TTL is how long a token works (default 15 minutes).
	TTL time.Duration
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

func (e *Enroller) ttl() time.Duration {
	if e.TTL > 0 {
		return e.TTL
	}
	return DefaultEnrollmentTTL
}

func (e *Enroller) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// CreateToken makes a one-time enrolment token for email: 32 random bytes
// in base64url. The store keeps only the token's SHA-256 hash, for TTL;
// the token itself is returned once and must be handed to the user (see
// EnrollmentLink). email is stored as given: canonicalise it first.
func (e *Enroller) CreateToken(ctx context.Context, email string) (token string, expiresAt time.Time, err error) {
	if strings.TrimSpace(email) == "" {
		return "", time.Time{}, errors.New("device: creating enrolment token: empty email")
	}
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("device: creating enrolment token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	ttl := e.ttl()
	expiresAt = e.now().Add(ttl)
	if err := e.Devices.CreateEnrollment(ctx, hashToken(token), email, ttl); err != nil {
		return "", time.Time{}, storeError("storing enrolment token", err)
	}
	return token, expiresAt, nil
}

// Enroll consumes token and stores a new device for its email with the
// given public key (PKIX DER of an ECDSA P-256 key), name (cleaned with
// CleanName) and user agent (cleaned, capped). The key is checked before
// the token is consumed, so a malformed key does not burn the token; once
// consumed, the token never works again, even if storing the device then
// fails.
//
// Errors wrap ErrInvalidKey, ErrEnrollmentInvalid, or store.ErrUnavailable.
func (e *Enroller) Enroll(ctx context.Context, token string, publicKeyDER []byte, name, userAgent string) (*store.Device, error) {
	return e.EnrollWith(ctx, token, publicKeyDER, name, userAgent, nil)
}

// EnrollWith is Enroll with a hook: prepare, if not nil, is given the new
// device (its id set) before it is stored, to add what the caller keeps
// with it (a sealed TOTP secret).
func (e *Enroller) EnrollWith(ctx context.Context, token string, publicKeyDER []byte, name, userAgent string, prepare func(*store.Device)) (*store.Device, error) {
	if _, err := ParsePublicKey(publicKeyDER); err != nil {
		return nil, err
	}
	if !validToken(token) {
		return nil, ErrEnrollmentInvalid
	}
	email, err := e.Devices.ConsumeEnrollment(ctx, hashToken(token))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrEnrollmentInvalid
		}
		return nil, storeError("consuming enrolment token", err)
	}
	id, err := newDeviceID(email)
	if err != nil {
		return nil, err
	}
	d := &store.Device{
		ID:        id,
		Email:     email,
		Name:      CleanName(name),
		PublicKey: append([]byte(nil), publicKeyDER...),
		CreatedAt: e.now().UTC().Truncate(time.Millisecond),
		UserAgent: cleanText(userAgent, maxUserAgentRunes),
	}
	if prepare != nil {
		prepare(d)
	}
	if err := e.Devices.CreateDevice(ctx, d); err != nil {
		return nil, storeError("storing device", err)
	}
	return d, nil
}

// hashToken returns the store key of an enrolment token: hex SHA-256.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newDeviceID returns the id of a new device of email: "dev", the
// email's group, "_" and 16 random bytes in base64url
// (store.NewDeviceID), so a store keeps the device beside its user's
// logins. Devices enrolled before groups have "dev_" and 16 random
// bytes, and keep them.
func newDeviceID(email string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("device: making device id: %w", err)
	}
	return store.NewDeviceID(email, base64.RawURLEncoding.EncodeToString(b[:])), nil
}
