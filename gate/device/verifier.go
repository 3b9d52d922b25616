package device

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// ErrUnauthorized is wrapped by every refusal of a signed device request;
// the HTTP layer answers 401 to it.
var ErrUnauthorized = errors.New("device: unauthorized")

// The reasons a signed device request is refused. Each wraps
// ErrUnauthorized.
var (
	// ErrUnsigned means a device id, timestamp or signature is missing or
	// malformed.
	ErrUnsigned = fmt.Errorf("%w: request is not signed", ErrUnauthorized)
	// ErrStale means the timestamp is too far from the server's clock.
	ErrStale = fmt.Errorf("%w: timestamp is too far from the server's clock", ErrUnauthorized)
	// ErrUnknownDevice means no enrolled device has that id (it may have
	// been revoked).
	ErrUnknownDevice = fmt.Errorf("%w: unknown or revoked device", ErrUnauthorized)
	// ErrBadSignature means the signature does not verify with the
	// device's key.
	ErrBadSignature = fmt.Errorf("%w: bad signature", ErrUnauthorized)
	// ErrReplayed means the same signature was accepted before.
	ErrReplayed = fmt.Errorf("%w: request was already used", ErrUnauthorized)
)

// DefaultMaxSkew is how far a signed timestamp may be from the server's
// clock, either way, when Verifier.MaxSkew is zero.
const DefaultMaxSkew = 30 * time.Second

// lastUsedEvery is how often a device's LastUsed is written at most.
const lastUsedEvery = time.Minute

// Verifier checks signed device requests. Devices is required;
// the zero MaxSkew means DefaultMaxSkew and a nil Now means time.Now. A
// Verifier is safe for concurrent use.
type Verifier struct {
	// Devices looks up the device named by a request and takes its
	// replay markers.
	Devices interface {
		store.Devices
		store.DeviceSteps
		store.PendingSteps
	}
	// MaxSkew is how far a request's timestamp may be from now, either
	// way (default 30 s).
	MaxSkew time.Duration
	// Now returns the current time (default time.Now).
	Now func() time.Time

	keys keyCache // the keys of devices whose requests verified
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// VerifyRequest checks that r, whose body is body, is signed by an
// enrolled device, recently, and for the first time, and returns that
// device. r's URL must be the one the client sent (before any rewrite or
// prefix stripping).
//
// A refusal wraps ErrUnauthorized and one of ErrUnsigned, ErrStale,
// ErrUnknownDevice, ErrBadSignature or ErrReplayed, checked in that order;
// the signature is verified before the replay marker is taken, so a forged
// request uses up nothing. The key of a device whose request verified is
// remembered, so its next request is one store step (the marker, which
// also finds whether the device still exists): a device removed since
// is refused with ErrBadSignature for a bad signature, else with
// ErrUnknownDevice. A store failure wraps store.ErrUnavailable
// instead. On success the device's LastUsed is brought up to date if it is
// more than a minute old.
func (v *Verifier) VerifyRequest(ctx context.Context, r *http.Request, body []byte) (*store.Device, error) {
	p, err := v.Prepare(ctx, r, body)
	if err != nil {
		return nil, err
	}
	return p.Finish(v.Devices.UseDevice(ctx, p.Use.ID, p.Use.Mark, p.Use.TTL, p.Use.LastUsed))
}

// VerifyPendingRequest is VerifyRequest for a request that reads its
// user's pending login: the read goes to the store with the replay
// marker (store.PendingSteps), and Login and LoginErr of the result are
// its answer. A refused request reads nothing.
func (v *Verifier) VerifyPendingRequest(ctx context.Context, r *http.Request, body []byte) (*store.PendingUse, error) {
	p, err := v.Prepare(ctx, r, body)
	if err != nil {
		return nil, err
	}
	pending, err := v.Devices.UseDeviceForPending(ctx, p.Use, p.Email)
	var d *store.Device
	if err == nil {
		d = pending.Device
	}
	if _, err := p.Finish(d, err); err != nil {
		return nil, err
	}
	return pending, nil
}

// Prepared is a signed request whose signature verified and whose replay
// marker is not taken yet: a store step takes it (Use) together with
// what the request asks for, and Finish reads the step's answer. Until
// then the request is not accepted.
type Prepared struct {
	// Use is the request's use of its device: its replay marker, and its
	// last use when LastUsed is more than a minute old.
	Use store.DeviceUse
	// Email is the device's user and PublicKey its key, as remembered or
	// read for the signature.
	Email     string
	PublicKey *ecdsa.PublicKey

	v   *Verifier
	key cachedKey
}

// Prepare makes VerifyRequest's checks up to the signature: it refuses
// with ErrUnsigned, ErrStale, ErrUnknownDevice (a device unknown to the
// store, whose key is not remembered) or ErrBadSignature, and takes no
// marker.
func (v *Verifier) Prepare(ctx context.Context, r *http.Request, body []byte) (*Prepared, error) {
	c, err := readCredentials(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrUnsigned, err.Error())
	}
	ts, ok := parseTimestamp(c.timestamp)
	if !ok {
		return nil, fmt.Errorf("%w: timestamp is not Unix milliseconds", ErrUnsigned)
	}
	sig, err := DecodeSignature(c.signature)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsigned, err)
	}
	now := v.now()
	skew := v.maxSkew()
	if !withinSkew(ts, now, skew) {
		return nil, ErrStale
	}

	key, cached := v.keys.get(c.deviceID)
	if !cached {
		d, err := v.Devices.GetDevice(ctx, c.deviceID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, ErrUnknownDevice
			}
			return nil, storeError("loading device", err)
		}
		pub, err := ParsePublicKey(d.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("device: stored key of device %s: %w", d.ID, err)
		}
		key = cachedKey{der: d.PublicKey, pub: pub, lastUsed: d.LastUsed, email: d.Email}
	}
	msg := RequestMessage(r.Method, c.target, ts, body)
	if !VerifySignature(key.pub, msg, sig) {
		return nil, ErrBadSignature
	}

	canon, _ := canonicalSignature(sig) // parses: it just verified
	// The step takes the replay marker and, at most once a minute,
	// records the use: only after the signature verified.
	var touch time.Time
	if now.Sub(key.lastUsed) >= lastUsedEvery {
		touch = now
	}
	return &Prepared{
		Use:   store.DeviceUse{ID: c.deviceID, Mark: replayKey(c.deviceID, canon), TTL: 2 * skew, LastUsed: touch},
		Email: key.email, PublicKey: key.pub, v: v, key: key,
	}, nil
}

// Finish reads the answer of the store step that took p.Use: the device
// as it returned it, or its error. It returns the device, or refuses
// with ErrReplayed (the marker was taken before), ErrUnknownDevice (the
// device is gone) or ErrBadSignature (the device's key is not the one
// that verified); a store failure wraps store.ErrUnavailable.
func (p *Prepared) Finish(d *store.Device, err error) (*store.Device, error) {
	id := p.Use.ID
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil, ErrReplayed
	case errors.Is(err, store.ErrNotFound):
		p.v.keys.drop(id)
		return nil, ErrUnknownDevice // revoked since
	case err != nil:
		return nil, storeError("marking signature used", err)
	}
	if !bytes.Equal(d.PublicKey, p.key.der) || d.Email != p.key.email { // an id never changes its key or user; refuse if one did
		p.v.keys.drop(id)
		return nil, ErrBadSignature
	}
	key := p.key
	key.lastUsed = d.LastUsed
	p.v.keys.put(id, key)
	return d, nil
}

// withinSkew reports whether the Unix-millisecond time ts is at most skew
// away from now, either way.
func withinSkew(ts int64, now time.Time, skew time.Duration) bool {
	diff := now.UnixMilli() - ts
	if diff < 0 {
		diff = -diff
	}
	return diff <= skew.Milliseconds()
}

// replayKey names the marker of one signature by one device (a marker
// of the device, so the device's id is in it only to keep the hash's
// meaning whole). It is built from the canonical form so that
// re-encoding a captured signature (DER for raw, n-S for S) does not make
// a fresh marker. 128 bits of the hash are plenty: a marker lives two
// skews, and a collision only refuses one request.
func replayKey(deviceID string, canonicalSig []byte) string {
	h := sha256.New()
	h.Write([]byte("authgate-devsig-v1\n"))
	h.Write([]byte(deviceID))
	h.Write([]byte{'\n'})
	h.Write(canonicalSig)
	return "s" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

// storeError wraps a store failure so that it matches
// store.ErrUnavailable: an error we cannot explain is treated as an
// outage, and the caller fails closed. The end of the caller's context is
// passed on as it is: the caller gave up, the store did not fail.
func storeError(doing string, err error) error {
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("device: %s: %w", doing, err)
	}
	return fmt.Errorf("device: %s: %w: %w", doing, store.ErrUnavailable, err)
}
