// Package event names what happens at the gate and carries it to whoever
// listens (webhooks, Caddy's events app, logs) without making the caller
// wait.
package event

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"
)

// The event types of the catalogue (DESIGN section 5).
const (
	Login          = "login"
	LoginFailed    = "login_failed"
	LoginRequested = "login_requested"
	Access         = "access"
	Logout         = "logout"
	SessionRevoked = "session_revoked"
	DeviceEnrolled = "device_enrolled"
	DeviceRevoked  = "device_revoked"
	Ping           = "ping"

	// The ways in without a push (package otp) and the lockout.
	OfflineCodeUsed     = "offline_code_used"
	CodeRejected        = "code_rejected"
	RecoveryCodeUsed    = "recovery_code_used"
	RecoveryCodesIssued = "recovery_codes_issued"
	AccessPassIssued    = "access_pass_issued"
	AccessPassUsed      = "access_pass_used"
	UserLocked          = "user_locked"
	UserUnblocked       = "user_unblocked"

	// API keys (package apikey).
	APIKeyCreated = "api_key_created"
	APIKeyUsed    = "api_key_used"
	APIKeyRevoked = "api_key_revoked"
)

// Types returns every event type, in catalogue order.
func Types() []string {
	return []string{Login, LoginFailed, LoginRequested, Access, Logout,
		SessionRevoked, DeviceEnrolled, DeviceRevoked, Ping,
		OfflineCodeUsed, CodeRejected, RecoveryCodeUsed, RecoveryCodesIssued,
		AccessPassIssued, AccessPassUsed, UserLocked, UserUnblocked,
		APIKeyCreated, APIKeyUsed, APIKeyRevoked}
}

// Event is one occurrence. Data holds only strings, booleans, integers
// that fit in 53 bits and nested maps or slices of those, so that every
// JSON encoder agrees on its bytes.
type Event struct {
	ID   string         `json:"id"`
	Type string         `json:"event"`
	Time time.Time      `json:"timestamp"`
	Data map[string]any `json:"data"`
}

// New returns an event of type typ with a fresh unique id, stamped now.
func New(typ string, data map[string]any) Event {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return Event{
		ID:   "evt_" + base64.RawURLEncoding.EncodeToString(b[:]),
		Type: typ,
		Time: time.Now().UTC().Truncate(time.Millisecond),
		Data: data,
	}
}

// Sink receives events. Emit never blocks on delivery: it hands the event
// on (to an outbox, a queue) and returns.
type Sink interface {
	Emit(ctx context.Context, e Event)
}

// Sinks fans one event out to several sinks, in order.
type Sinks []Sink

// Emit hands e to every sink.
func (s Sinks) Emit(ctx context.Context, e Event) {
	for _, sink := range s {
		sink.Emit(ctx, e)
	}
}

// Discard is a Sink that drops every event.
type Discard struct{}

// Emit drops e.
func (Discard) Emit(context.Context, Event) {}
