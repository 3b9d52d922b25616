package flow

import (
	"errors"
	"fmt"
	"time"
)

// Errors of the login flow. The HTTP layer maps each to one status.
var (
	// ErrInvalidEmail: the typed address is not an email address (400).
	ErrInvalidEmail = errors.New("not a valid email address")
	// ErrInvalidReturn: the return URL is not on this site (400).
	ErrInvalidReturn = errors.New("return URL must be a path on this site")
	// ErrNotFound: no such login, or not one this caller may see (404).
	ErrNotFound = errors.New("no such login")
	// ErrAlreadyDecided: the login has left pending already (409).
	ErrAlreadyDecided = errors.New("login already decided")
	// ErrExpired: the approval window has closed (410).
	ErrExpired = errors.New("login expired")
	// ErrBadDecision: the decision is not approve, deny or report (400).
	ErrBadDecision = errors.New("decision must be approve, deny or report")
	// ErrDirectoryUnavailable: the user directory gave no answer, so no
	// login can start (503, fail closed).
	ErrDirectoryUnavailable = errors.New("the user directory cannot be reached")
)

// LimitError says a login was refused by a rate limit or a block; the
// client may try again after RetryAfter (429).
type LimitError struct {
	Reason     string // "rate_limited", "reported", "locked", "pending" or "codes_paused"
	RetryAfter time.Duration
}

func (e *LimitError) Error() string {
	switch e.Reason {
	case "reported", "locked":
		return fmt.Sprintf("sign-ins for this account are paused (%s); retry in %s", e.Reason, e.RetryAfter.Round(time.Second))
	case ReasonCodesPaused:
		return fmt.Sprintf("too many wrong codes for this account: codes are paused, approve the sign-in on your phone or retry in %s", e.RetryAfter.Round(time.Second))
	case "pending":
		return fmt.Sprintf("a sign-in for this account is already waiting elsewhere; retry in %s", e.RetryAfter.Round(time.Second))
	}
	return fmt.Sprintf("too many login attempts (%s); retry in %s", e.Reason, e.RetryAfter.Round(time.Second))
}

// RefusedError says a pre-login hook refused the login (403); Reason is
// shown to the user.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "login refused: " + e.Reason }
