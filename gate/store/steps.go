package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// A login's steps (start, the phone's read, the decision, the collection)
// each change several records of one user at once. The methods of
// LoginSteps and DeviceSteps do each step in one atomic call, so a store
// on a network (Redis) answers a step in one round trip. For that a store
// keeps together what one step touches:
//
//   - a user's short-lived counters and markers, named with UserKey, its
//     pending claim and its logins: a login id made by NewLoginID carries
//     the group of its email (GroupOf), so a store finds the group from
//     the id as well as from the email;
//   - a device's one-time markers, beside the device.

// groupLen is how many hex digits of an email's SHA-256 name its group:
// 4,096 groups, enough to spread over any cluster, and little enough that
// a login id tells next to nothing about its email (12 bits).
const groupLen = 3

// GroupOf returns the group of email: the first hex digits of its
// SHA-256. Every login of the email, its pending claim and its user keys
// share it.
func GroupOf(email string) string {
	sum := sha256.Sum256([]byte(email))
	return hex.EncodeToString(sum[:])[:groupLen]
}

// NewLoginID returns the id of a new login of email: its group, then
// random (a string of URL-safe characters chosen by the caller).
func NewLoginID(email, random string) string { return GroupOf(email) + random }

// LoginGroup returns the group a login id names, or "" when the id does
// not start with one (an id made before groups, or a made-up one).
func LoginGroup(id string) string {
	if len(id) <= groupLen {
		return ""
	}
	for _, c := range id[:groupLen] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return ""
		}
	}
	return id[:groupLen]
}

// userKeySep separates the parts of a UserKey; no email or name holds it.
const userKeySep = "\x00"

// UserKey names a counter (Limits.Hit) or marker (Limits.Mark) of the user
// email, name saying what it counts or marks ("lock", "fail"…). A store
// keeps it beside the user's pending claim and logins, so StartLogin and
// CollectLogin may read and change it.
func UserKey(email, name string) string {
	return "u" + userKeySep + name + userKeySep + email
}

// ParseUserKey returns the email and name of a key made by UserKey; ok is
// false for any other key.
func ParseUserKey(key string) (email, name string, ok bool) {
	rest, ok := strings.CutPrefix(key, "u"+userKeySep)
	if !ok {
		return "", "", false
	}
	name, email, ok = strings.Cut(rest, userKeySep)
	return email, name, ok && name != ""
}

// LoginStart is what StartLogin checks, counts and writes for one user.
type LoginStart struct {
	// Email is the user's canonical email; it must be Login.Email when
	// Login is set, and every user key below must be of it.
	Email string
	// Pauses are user keys of markers that refuse the start while set;
	// the first one set is reported, and nothing else is done.
	Pauses []string
	// Counter, a user key, counts one hit in a window of Window (as
	// Limits.Hit); a count past Limit refuses the start, and nothing
	// after it is done. Empty counts nothing.
	Counter string
	Window  time.Duration
	Limit   int64
	// Login, when set, is created for TTL and claimed as its email's one
	// pending login for PendingTTL (as ClaimPending), unless another live
	// login holds the claim. Nil stops after the count.
	Login      *Login
	TTL        time.Duration
	PendingTTL time.Duration
	// Unclaimed creates Login without the pending claim: it neither waits
	// for another login's claim nor takes it (PendingTTL is unused), so
	// the phone, which reads the claim, never sees it, and a login
	// started after it is not held up by it (a login approved by a typed
	// code, not by the phone).
	Unclaimed bool
	// Recent, a user key, is a marker taken for RecentTTL once the login
	// is created (as Limits.Mark); LoginStarted.Recent says whether it
	// was free. Empty takes none.
	Recent    string
	RecentTTL time.Duration
}

// LoginStarted is what StartLogin did. At most one of Paused, Limited,
// Holder and Created is set.
type LoginStarted struct {
	// Paused is the first of the pauses that was set, PausedFor how long
	// it stays.
	Paused    string
	PausedFor time.Duration
	// Count is the counter after the hit; Limited says it passed the
	// limit. CountReset is the time until its window ends when Limited
	// or when this hit started the window; otherwise it may be 0.
	Count      int64
	CountReset time.Duration
	Limited    bool
	// Holder is the id of another live login that holds the pending
	// claim: nothing was created. Never set for an Unclaimed start.
	Holder string
	// Created says the login was created and, unless the start was
	// Unclaimed, holds the claim.
	Created bool
	// Recent says the Recent marker was free and is now taken.
	Recent bool
}

// Collection is what CollectLogin requires of an approved login, and
// what it records.
type Collection struct {
	// BindingHash and API must be the login's.
	BindingHash string
	API         bool
	// SessionID is recorded on the collected login.
	SessionID string
	// ResetCounters name counters of the login's user, the user keys
	// UserKey(login's Email, name), cleared with the collection (the
	// failure count of the lockout).
	ResetCounters []string
}

// LoginSteps are the steps of a login that touch several records of its
// user, each in one atomic call.
type LoginSteps interface {
	// StartLogin checks s.Pauses, counts s.Counter, claims the pending
	// login and creates s.Login, and takes s.Recent, in that order, as
	// one atomic step; it stops at the first refusal (see LoginStarted).
	// ErrConflict if s.Login's id exists; an error if a user key is not
	// of s.Email.
	StartLogin(ctx context.Context, s LoginStart) (*LoginStarted, error)
	// PendingLogin returns the login that email's pending claim names,
	// or ErrNotFound when there is no claim or its login is gone. The
	// caller checks the login's status and window.
	PendingLogin(ctx context.Context, email string) (*Login, error)
	// CollectLogin moves the login from approved to collected, recording
	// c.SessionID and clearing c.ResetCounters, if its BindingHash and API
	// are c's; collected says whether this call did. Otherwise it changes
	// nothing and returns the login as it is. ErrNotFound if there is no
	// such login. Of any number of concurrent calls, at most one
	// collects. A collection is no LoginChange: a waiting browser or
	// phone shows a collected login as the approved one it showed.
	CollectLogin(ctx context.Context, id string, c Collection) (l *Login, collected bool, err error)
}

// DeviceSteps are the steps of a signed device request that write to the
// device, each in one atomic call.
type DeviceSteps interface {
	// UseDevice takes the device's one-time marker mark for ttl (a replay
	// guard: ErrConflict, changing nothing, if it is set) and, when
	// lastUsed is not zero, records it as the device's LastUsed, in one
	// step. It returns the device as it is after. ErrNotFound if there is
	// no such device.
	UseDevice(ctx context.Context, id, mark string, ttl time.Duration, lastUsed time.Time) (*Device, error)
	// NoteApproval records that the device approved a login and returns
	// it, and whether this was the first login it approved. ErrNotFound
	// if there is no such device.
	NoteApproval(ctx context.Context, id string) (d *Device, first bool, err error)
}

// Decision is a device's decision on a pending login, as DecideLogin
// records it.
type Decision struct {
	// Email is the deciding device's user: a login of another email, or
	// a withheld one, is not found.
	Email    string
	DeviceID string
	// At is when: a login whose window (ExpiresAt) has passed by then
	// is moved to expired with ExpiredReason instead, without a device.
	At            time.Time
	ExpiredReason string
	// To and Reason are the decision.
	To     LoginStatus
	Reason string
	// CheckNumber says Number is the number the user chose: unless it is
	// the login's Code, the login moves to WrongTo with WrongReason
	// instead.
	CheckNumber bool
	Number      int
	WrongTo     LoginStatus
	WrongReason string
}

// DecideOutcome says what DecideLogin did.
type DecideOutcome int

// The outcomes of DecideLogin.
const (
	// Decided: the login left pending as decided (To or WrongTo).
	Decided DecideOutcome = iota + 1
	// AlreadyDecided: the login was not pending; nothing changed.
	AlreadyDecided
	// Expired: the login's window had passed; it moved to expired.
	Expired
)

// DecisionSteps are the steps of a device's decision.
type DecisionSteps interface {
	// DecideLogin reads the login and records d on it in one atomic
	// step, clearing its email's pending claim when the login leaves
	// pending (as TransitionLogin with ReleaseEmail). It returns the
	// login as it is after and what it did; ErrNotFound if there is no
	// such login, or it is withheld or of another email than d.Email.
	// Of any number of concurrent calls, at most one decides.
	DecideLogin(ctx context.Context, id string, d Decision) (*Login, DecideOutcome, error)
}

// SessionOpening is what OpenSession does once a login is collected.
type SessionOpening struct {
	// Session is created as CreateSession creates it.
	Session *Session
	// DeviceID, when set, is the device that approved the login: its
	// approval is noted as NoteApproval notes it.
	DeviceID string
}

// SessionOpened is what OpenSession read and noted besides the session.
type SessionOpened struct {
	// Generation is the session's user's generation, as Generation
	// returns it.
	Generation int64
	// Device and FirstApproval are NoteApproval's answer for DeviceID;
	// Device is nil when DeviceID is empty or the note failed, NoteErr
	// saying why (ErrNotFound for a device that is gone).
	Device        *Device
	FirstApproval bool
	NoteErr       error
}

// SessionSteps are the calls that follow a login's collection.
type SessionSteps interface {
	// OpenSession creates o.Session, reads its user's generation and
	// notes o.DeviceID's approval in one call, so a store on a network
	// sends them together (one round trip). They are three steps, not
	// one atomic step: the note and the read do not wait for the
	// session. An error is the session's (ErrConflict if its id exists,
	// as CreateSession): the session may then exist or not, and the
	// caller revokes its id.
	OpenSession(ctx context.Context, o SessionOpening) (*SessionOpened, error)
}

// DeviceUse is a signed request's use of its device, as UseDevice takes
// it: the one-time marker Mark for TTL and, when not zero, LastUsed.
type DeviceUse struct {
	ID       string
	Mark     string
	TTL      time.Duration
	LastUsed time.Time
}

// PendingUse is what UseDeviceForPending found.
type PendingUse struct {
	// Device is the device as UseDevice returns it.
	Device *Device
	// Login and LoginErr are PendingLogin's answer for the email.
	Login    *Login
	LoginErr error
}

// PendingSteps are the phone's read of its user's pending login.
type PendingSteps interface {
	// UseDeviceForPending does UseDevice(u) and PendingLogin(email) in
	// one call, so a store on a network sends them together. The read
	// changes nothing: a use that UseDevice refuses returns its error
	// (ErrConflict for a replay, ErrNotFound for no device) and nothing
	// else, as if the read had not been made.
	UseDeviceForPending(ctx context.Context, u DeviceUse, email string) (*PendingUse, error)
}

// devicePrefix starts every device id; an id made by NewDeviceID follows
// it with its email's group and deviceGroupEnd, an older one with
// deviceGroupEnd at once.
const (
	devicePrefix   = "dev"
	deviceGroupEnd = "_"
)

// NewDeviceID returns the id of a new device of email: "dev", its
// email's group, "_", then random (URL-safe characters chosen by the
// caller). A store keeps such a device beside its user's logins, so one
// step takes a signed request's marker and decides (UseDeviceAndDecide).
func NewDeviceID(email, random string) string {
	return devicePrefix + GroupOf(email) + deviceGroupEnd + random
}

// DeviceGroup returns the group a device id names, or "" for an id made
// before groups ("dev_" and random) or any other.
func DeviceGroup(id string) string {
	rest, ok := strings.CutPrefix(id, devicePrefix)
	if !ok || len(rest) <= groupLen+len(deviceGroupEnd) || rest[groupLen:groupLen+len(deviceGroupEnd)] != deviceGroupEnd {
		return ""
	}
	return LoginGroup(rest[:groupLen+1])
}

// DecideUse is what UseDeviceAndDecide did.
type DecideUse struct {
	// Device is the device as UseDevice returns it.
	Device *Device
	// Login, Outcome and LoginErr are DecideLogin's answer.
	Login    *Login
	Outcome  DecideOutcome
	LoginErr error
}

// UseSteps are the steps of a signed device request that take its
// replay marker with the step the request asks for.
type UseSteps interface {
	// UseDeviceAndDecide does UseDevice(u) and then DecideLogin(id, d)
	// as one atomic step: a use that UseDevice refuses (ErrConflict for
	// a replay, ErrNotFound for no device) returns its error and changes
	// nothing at all. d.DeviceID must be u.ID. A store may need two
	// steps for a device or login made before groups (NewDeviceID,
	// NewLoginID): the use is then taken first.
	UseDeviceAndDecide(ctx context.Context, u DeviceUse, id string, d Decision) (*DecideUse, error)
}
