package otp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// Errors of Check. Each is a refusal the caller counts as a failed
// attempt; any other error is the store's.
var (
	// ErrMalformed: the typed code has no known shape (wrong length,
	// characters that no code holds).
	ErrMalformed = errors.New("a code is 6 digits, a recovery code 10 characters (XXXXX-XXXXX), an access pass 16")
	// ErrWrong: the code is not one of the user's.
	ErrWrong = errors.New("that code is not right")
	// ErrReplayed: the offline code was already used in its time step.
	ErrReplayed = errors.New("that code was already used; wait for the next one")
)

// Device ids a Result names for logins approved without a phone's key.
const (
	ByRecoveryCode = "recovery-code"
	ByAccessPass   = "access-pass"
)

// WithoutPhone reports whether deviceID, a session's or token's device,
// says its sign-in used a recovery code or an access pass: no phone
// approved it, so it does not count as a phone approval.
func WithoutPhone(deviceID string) bool {
	return deviceID == ByRecoveryCode || deviceID == ByAccessPass
}

// The store this package needs: devices (for their sealed secrets and
// the one-time pass records), markers (replay guards) and recovery codes.
type Store interface {
	store.Devices
	store.Limits
	store.Recovery
}

// Codes issues and checks the typed codes of users. Store and Keys are
// required; Now defaults to time.Now.
type Codes struct {
	Store Store
	Keys  *Keys
	Now   func() time.Time
}

func (c *Codes) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Result is a code that Check accepted.
type Result struct {
	Kind string // KindTOTP, KindRecovery or KindPass
	// DeviceID is the device whose secret made an offline code, or
	// ByRecoveryCode or ByAccessPass.
	DeviceID string
	// Left is how many recovery codes remain (KindRecovery only).
	Left int
}

// NewDeviceSecret returns a fresh TOTP secret for a device to receive
// once, and its sealed form for the store.
func (c *Codes) NewDeviceSecret(deviceID string) (secret, sealed []byte) {
	secret = NewSecret()
	return secret, c.Keys.Seal(deviceID, secret)
}

// IssueRecoveryCodes makes RecoveryCount new codes for email, replacing
// any it had, and returns them for showing once.
func (c *Codes) IssueRecoveryCodes(ctx context.Context, email string) ([]string, error) {
	codes := NewRecoveryCodes()
	hashes := make([]string, len(codes))
	for i, code := range codes {
		hashes[i] = c.Keys.Hashes(KindRecovery, email, Normalize(code))[0]
	}
	if err := c.Store.ReplaceRecoveryCodes(ctx, email, hashes); err != nil {
		return nil, fmt.Errorf("storing recovery codes: %w", err)
	}
	return codes, nil
}

// passKey is the one-time record of a pass. It shares the enrolment
// records' namespace (a hash → email with a lifetime, taken once) under
// a prefix no enrolment token hash can have.
func passKey(hash string) string { return "pass:" + hash }

// IssuePass makes a one-time access pass for email that works for ttl.
func (c *Codes) IssuePass(ctx context.Context, email string, ttl time.Duration) (string, time.Time, error) {
	pass := NewPass()
	hash := c.Keys.Hashes(KindPass, email, Normalize(pass))[0]
	if err := c.Store.CreateEnrollment(ctx, passKey(hash), email, ttl); err != nil {
		return "", time.Time{}, fmt.Errorf("storing access pass: %w", err)
	}
	return pass, c.now().Add(ttl), nil
}

// Check accepts a typed code of email once: an offline code of one of
// the user's devices within one step of now (and not yet used in its
// step), one of the user's recovery codes (then gone), or an access pass
// made for the user (then gone). It returns ErrMalformed, ErrWrong or
// ErrReplayed for a refusal. An unknown email is refused with ErrWrong,
// like a wrong code.
func (c *Codes) Check(ctx context.Context, email, typed string) (Result, error) {
	kind, code := Classify(typed)
	switch kind {
	case KindTOTP:
		return c.checkTOTP(ctx, email, code)
	case KindRecovery:
		left, err := c.Store.UseRecoveryCode(ctx, email, c.Keys.Hashes(KindRecovery, email, code))
		if errors.Is(err, store.ErrNotFound) {
			return Result{}, ErrWrong
		}
		if err != nil {
			return Result{}, fmt.Errorf("using recovery code: %w", err)
		}
		return Result{Kind: kind, DeviceID: ByRecoveryCode, Left: left}, nil
	case KindPass:
		for _, h := range c.Keys.Hashes(KindPass, email, code) {
			got, err := c.Store.ConsumeEnrollment(ctx, passKey(h))
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return Result{}, fmt.Errorf("using access pass: %w", err)
			}
			if got == email {
				return Result{Kind: kind, DeviceID: ByAccessPass}, nil
			}
		}
		return Result{}, ErrWrong
	}
	return Result{}, ErrMalformed
}

func (c *Codes) checkTOTP(ctx context.Context, email, code string) (Result, error) {
	devices, err := c.Store.ListDevices(ctx, email)
	if err != nil {
		return Result{}, fmt.Errorf("listing devices for offline code: %w", err)
	}
	now := c.now()
	for _, d := range devices {
		if len(d.OTPSecret) == 0 {
			continue
		}
		secret, err := c.Keys.Open(d.ID, d.OTPSecret)
		if err != nil {
			continue // sealed under a key this gateway no longer has
		}
		step, ok := Match(secret, Algorithm(d.OTPAlgorithm), code, now)
		if !ok {
			continue
		}
		err = c.Store.Mark(ctx, "otp:"+d.ID+":"+strconv.FormatInt(step, 10), time.Duration(2*Drift+2)*Period)
		if errors.Is(err, store.ErrConflict) {
			return Result{}, ErrReplayed
		}
		if err != nil {
			return Result{}, fmt.Errorf("marking offline code used: %w", err)
		}
		return Result{Kind: KindTOTP, DeviceID: d.ID}, nil
	}
	return Result{}, ErrWrong
}
