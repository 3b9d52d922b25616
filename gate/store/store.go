// Package store names what authgate keeps between requests and between
// instances: logins in flight, enrolled devices, logged-in sessions,
// revocations, rate-limit counters, one-time markers and API keys.
//
// Every implementation passes the contract suite in package storetest. Every
// record with a lifetime carries a TTL in the backing store, so nothing grows
// without bound.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors every implementation returns (possibly wrapped); callers test them
// with errors.Is.
var (
	// ErrNotFound means no live record has that key or id.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a conditional write lost: the record was not in the
	// state the caller required, or the key already existed.
	ErrConflict = errors.New("store: conflict")
	// ErrUnavailable means the backing store could not be reached; callers
	// fail closed on it.
	ErrUnavailable = errors.New("store: unavailable")
)

// LoginStatus is the state of a login in flight. A login leaves Pending
// exactly once; an Approved login becomes Collected exactly once, when the
// browser that started it picks up its session.
type LoginStatus string

// The login states.
const (
	LoginPending   LoginStatus = "pending"
	LoginApproved  LoginStatus = "approved"
	LoginDenied    LoginStatus = "denied"
	LoginExpired   LoginStatus = "expired"
	LoginCollected LoginStatus = "collected"
)

// Login is one push-to-approve login attempt.
type Login struct {
	ID          string      `json:"id"`
	Email       string      `json:"email"`
	AppID       string      `json:"app_id"`
	SiteTitle   string      `json:"site_title,omitempty"` // the site's name as the gate shows it
	Code        int         `json:"code"`                 // the two-digit number the browser shows
	Choices     []int       `json:"choices"`              // three numbers the phone shows, Code among them
	BindingHash string      `json:"binding_hash"`
	ReturnURL   string      `json:"return_url"`
	ClientIP    string      `json:"client_ip"`
	UserAgent   string      `json:"user_agent"`
	CreatedAt   time.Time   `json:"created_at"`
	ExpiresAt   time.Time   `json:"expires_at"` // end of the approval window
	Status      LoginStatus `json:"status"`
	Reason      string      `json:"reason,omitempty"` // why it was denied or expired
	DeviceID    string      `json:"device_id,omitempty"`
	DecidedAt   time.Time   `json:"decided_at,omitzero"`
	SessionID   string      `json:"session_id,omitempty"` // set when collected
	// Groups are the user's groups from the user directory at login
	// start; the session's token carries them.
	Groups []string `json:"groups,omitempty"`
	// Withheld is a login no device is shown: the user directory does not
	// know the email. It runs out like a login for an email without a
	// device, so the browser learns nothing.
	Withheld bool `json:"withheld,omitempty"`
	// API marks a login started through the standalone gate's API: it is
	// collected with the session handle (login id and binding secret)
	// and its token is handed over in the answer, never as a cookie.
	API bool `json:"api,omitempty"`
	// Typed marks a login started by the code form: the user types a
	// code, no push goes out and no phone is shown it.
	Typed bool `json:"typed,omitempty"`
}

// Transition describes one conditional state change of a login. Its zero
// fields (Reason, DeviceID, At, SessionID) leave the login's values as
// they are, so collecting a login keeps the time and device of its
// decision. To must not be empty.
type Transition struct {
	From      LoginStatus
	To        LoginStatus
	Reason    string
	DeviceID  string
	At        time.Time
	SessionID string
	// ReleaseEmail, when set, also clears that email's pending claim if
	// it names the login (as ReleasePending), in the same step as a
	// change; a transition that changes nothing releases nothing.
	ReleaseEmail string
}

// Device is an enrolled approver: the server keeps only its public key.
type Device struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	PublicKey []byte    `json:"public_key"` // PKIX DER of an ECDSA P-256 key
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`
	UserAgent string    `json:"user_agent,omitempty"`
	// OTPSecret is the device's TOTP secret, sealed by the caller (see
	// package otp); the store never sees it in the clear.
	OTPSecret []byte `json:"otp_secret,omitempty"`
	// OTPAlgorithm names the secret's HMAC hash ("SHA-1", "SHA-256").
	OTPAlgorithm string `json:"otp_alg,omitempty"`
	// Push is where the device's browser receives Web Push messages; nil
	// while notifications are off.
	Push *PushSubscription `json:"push,omitempty"`
}

// PushSubscription is a browser's Web Push subscription (the W3C Push
// API's PushSubscription): the push service URL that reaches it and the
// keys its messages are encrypted to (RFC 8291).
type PushSubscription struct {
	Endpoint string `json:"endpoint"`
	P256dh   []byte `json:"p256dh"` // the browser's uncompressed P-256 point
	Auth     []byte `json:"auth"`   // the 16-byte authentication secret
	// KeyID names the server key (VAPID) the browser subscribed with, so
	// a key change shows which subscriptions must be renewed.
	KeyID     string    `json:"key_id,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Session is a logged-in browser: the JWT cookie names it by ID (sid).
type Session struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	DeviceID  string    `json:"device_id"`
	AppID     string    `json:"app_id"`
	ClientIP  string    `json:"client_ip"`
	UserAgent string    `json:"user_agent"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RevocationSnapshot is the full set of revocations still in force.
type RevocationSnapshot struct {
	// Sessions maps a revoked session id to the time its tokens expire
	// anyway, after which the entry may be forgotten.
	Sessions map[string]time.Time
	// Generations maps a canonical email to its current generation; tokens
	// minted with a lower generation are void ("log out everywhere").
	Generations map[string]int64
	// Epoch is the store's epoch marker as the snapshot was read; a store
	// writes one when it has none. Restore ignores it.
	Epoch Epoch
}

// Epoch names one span of a store's memory: a marker the store writes
// once, when it has none, and never expires. A store that lost its data
// (restarted empty, flushed, failed over to a copy without the marker)
// has a new epoch, and every token minted in an earlier one is void:
// the revocations that might have voided it may be gone.
type Epoch struct {
	// ID is random, positive and below 2^53; tokens carry it.
	ID int64
	// CreatedAt is when the marker was written, for people reading logs.
	CreatedAt time.Time
}

// RevocationEvent is one revocation as it is published to every instance.
// Exactly one of SessionID or Email is set.
type RevocationEvent struct {
	SessionID  string    `json:"sid,omitempty"`
	Until      time.Time `json:"until,omitzero"`
	Email      string    `json:"email,omitempty"`
	Generation int64     `json:"gen,omitempty"`
}

// LoginChange is one change that waiting browsers and phones learn of
// without polling: a login was created (ID and Email set), a login's
// status changed (ID set), or a device was removed (DeviceID set). It
// names what changed, never how: the listener reads the record again.
type LoginChange struct {
	ID       string `json:"id,omitempty"`
	Email    string `json:"email,omitempty"`
	DeviceID string `json:"device,omitempty"`
}

// Logins keeps logins in flight.
type Logins interface {
	// SubscribeLogins calls fn for each LoginChange from now on, made by
	// any instance sharing the store (CreateLogin, each TransitionLogin
	// that changes a status, DeleteDevice), until ctx is done or the
	// subscription breaks; it returns ctx.Err() or the reason it broke,
	// after which changes may have been missed. ready is called once the
	// subscription is established (before any fn call).
	SubscribeLogins(ctx context.Context, ready func(), fn func(LoginChange)) error
	// CreateLogin stores a new login; it lives for ttl. ErrConflict if the
	// id exists.
	CreateLogin(ctx context.Context, l *Login, ttl time.Duration) error
	// GetLogin returns the login, or ErrNotFound.
	GetLogin(ctx context.Context, id string) (*Login, error)
	// TransitionLogin atomically moves a login from t.From to t.To and
	// records the reason, device, time and session of the change. It
	// returns the login as it is after the change, ErrNotFound if there is
	// no such login, or ErrConflict (with the login as it is) if its status
	// is not t.From. Of any number of concurrent calls, at most one wins.
	TransitionLogin(ctx context.Context, id string, t Transition) (*Login, error)
	// ClaimPending records id as the one pending login of email for ttl.
	// If another login is recorded and still unexpired, it returns that
	// login's id and ErrConflict. Claiming again with the id that holds
	// the claim succeeds and restarts its ttl.
	ClaimPending(ctx context.Context, email, id string, ttl time.Duration) (string, error)
	// PendingFor returns the id of the pending login of email, or
	// ErrNotFound.
	PendingFor(ctx context.Context, email string) (string, error)
	// ReleasePending clears the pending login of email if it is id;
	// releasing with another id changes nothing.
	ReleasePending(ctx context.Context, email, id string) error
}

// Devices keeps enrolled devices and one-time enrolment tokens.
type Devices interface {
	// CreateEnrollment stores a one-time enrolment token (by its hash) for
	// email, valid for ttl.
	CreateEnrollment(ctx context.Context, tokenHash, email string, ttl time.Duration) error
	// ConsumeEnrollment returns the email of the token and deletes it, so a
	// token works once. ErrNotFound if unknown, used or expired.
	ConsumeEnrollment(ctx context.Context, tokenHash string) (string, error)
	// CreateDevice stores a device and adds it to its user's index.
	// ErrConflict if the id exists.
	CreateDevice(ctx context.Context, d *Device) error
	// GetDevice returns the device, or ErrNotFound (also once revoked).
	GetDevice(ctx context.Context, id string) (*Device, error)
	// UpdateDevice replaces the name and last-used time of an existing
	// device; an empty name or a zero time leaves that field as it is, so
	// recording use cannot undo a concurrent rename. ErrNotFound if there
	// is none.
	UpdateDevice(ctx context.Context, id, name string, lastUsed time.Time) error
	// ListDevices returns the user's devices, oldest first.
	ListDevices(ctx context.Context, email string) ([]*Device, error)
	// DeleteDevice removes a device and its index entry. ErrNotFound if
	// there is none.
	DeleteDevice(ctx context.Context, id string) error
	// SetPushSubscription replaces the device's push subscription; nil
	// removes it. ErrNotFound if there is no such device.
	SetPushSubscription(ctx context.Context, id string, sub *PushSubscription) error
	// DropPushSubscription removes the device's push subscription only if
	// its endpoint is endpoint, so a push service's "gone" answer cannot
	// remove a subscription registered since. A device without one, or
	// with another endpoint, or no device, is not an error.
	DropPushSubscription(ctx context.Context, id, endpoint string) error
}

// Sessions keeps logged-in sessions and the revocations that every
// instance must learn of.
type Sessions interface {
	// CreateSession stores a session until its ExpiresAt and adds it to its
	// user's index. ErrConflict if the id exists; an error if ExpiresAt has
	// passed.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns a live session, or ErrNotFound.
	GetSession(ctx context.Context, id string) (*Session, error)
	// ListSessions returns the user's live sessions, oldest first.
	ListSessions(ctx context.Context, email string) ([]*Session, error)
	// RevokeSession deletes the session, records its id as revoked until
	// until, and publishes the revocation. Revoking an unknown or already
	// revoked id is not an error (the id may be in a token all the same);
	// a revocation whose until has passed is published but not recorded.
	RevokeSession(ctx context.Context, id string, until time.Time) error
	// BumpGeneration raises the user's generation by one, publishes it and
	// returns the new value; tokens of older generations are void.
	BumpGeneration(ctx context.Context, email string) (int64, error)
	// Generation returns the user's current generation (0 if never bumped).
	Generation(ctx context.Context, email string) (int64, error)
	// Revocations returns every revocation still in force and the
	// store's epoch, writing a new epoch marker first if there is none.
	Revocations(ctx context.Context) (*RevocationSnapshot, error)
	// RestoreRevocations writes back revocations the store may have lost
	// (an instance that remembers them calls it): each session stays
	// revoked until the later of its stored and given until, one whose
	// until has passed is skipped, and each generation rises to the
	// given value if it is lower. Each revocation it changes is
	// published, as if made now; snap.Epoch is ignored.
	RestoreRevocations(ctx context.Context, snap *RevocationSnapshot) error
	// SubscribeRevocations calls fn for each revocation published from now
	// on, by any instance, until ctx is done or the subscription breaks;
	// it returns ctx.Err() or the reason it broke. ready is called once the
	// subscription is established (before any fn call).
	SubscribeRevocations(ctx context.Context, ready func(), fn func(RevocationEvent)) error
}

// Limits keeps short-lived counters and markers.
type Limits interface {
	// Hit adds one to the counter key in a fixed window of length window
	// and returns the count in this window and the time until it resets.
	Hit(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error)
	// Mark sets key for ttl. It returns ErrConflict, changing nothing, if
	// the key is already set: a marker can be taken once (replay guards).
	Mark(ctx context.Context, key string, ttl time.Duration) error
	// MarkTTL returns how long key stays set, or ErrNotFound.
	MarkTTL(ctx context.Context, key string) (time.Duration, error)
	// Unmark clears key; clearing an unset key is not an error.
	Unmark(ctx context.Context, key string) error
	// ResetHits clears the counter key, so the next Hit counts 1;
	// clearing an unset counter is not an error.
	ResetHits(ctx context.Context, key string) error
}

// Recovery keeps each user's unused recovery codes, by hash only. The
// codes have no lifetime: they stay until used or replaced.
type Recovery interface {
	// ReplaceRecoveryCodes makes hashes the user's only recovery codes;
	// an empty list removes them all.
	ReplaceRecoveryCodes(ctx context.Context, email string, hashes []string) error
	// UseRecoveryCode atomically removes the first of hashes that the
	// user holds (a code may have several hashes, one per key) and
	// returns how many codes are left. ErrNotFound, changing nothing, if
	// the user holds none of them: of concurrent uses of one code, one
	// wins.
	UseRecoveryCode(ctx context.Context, email string, hashes []string) (int, error)
	// RecoveryCodesLeft returns how many unused codes the user holds.
	RecoveryCodesLeft(ctx context.Context, email string) (int, error)
}

// Users lists who uses the gate, for operators.
type Users interface {
	// ListUsers returns, sorted, the emails that have at least one
	// enrolled device, live session or live API key: a user whose last
	// phone was removed is still listed while anything of theirs still
	// lets them in.
	ListUsers(ctx context.Context) ([]string, error)
}

// Store is everything authgate keeps. Implementations are safe for
// concurrent use.
type Store interface {
	Logins
	LoginSteps
	DecisionSteps
	DeviceSteps
	SessionSteps
	PendingSteps
	UseSteps
	Devices
	Users
	Sessions
	Limits
	APIKeys
	Recovery
	// Ping reports whether the backing store answers.
	Ping(ctx context.Context) error
	// Close releases connections; the store is unusable afterwards.
	Close() error
}
