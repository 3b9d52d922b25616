package store

import (
	"context"
	"time"
)

// APIKey is a long-lived bearer key of one user, for scripts and CI. The
// store never holds the key itself, only a keyed hash of it (see package
// apikey), so a copy of the store lets nobody in.
type APIKey struct {
	// ID names the key in lists, logs, events and the X-Authgate-Key
	// header; it is not secret.
	ID string `json:"id"`
	// Email is the owner's canonical email: the key acts as this user.
	Email string `json:"email"`
	// Name is the owner's label for the key ("deploy from CI").
	Name string `json:"name"`
	// Hash is the keyed hash of the whole key string.
	Hash []byte `json:"hash"`
	// HashKeyID names the server key Hash was made with.
	HashKeyID string `json:"hash_kid"`
	// CreatedAt is when the key was made.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the key stops working; zero means never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// LastUsed is when the key was last seen on a request (recorded at
	// most about once a minute); zero if never.
	LastUsed time.Time `json:"last_used,omitzero"`
}

// APIKeys keeps users' API key records.
type APIKeys interface {
	// CreateAPIKey stores k and adds it to its user's index; a key with an
	// ExpiresAt lives until then. ErrConflict if the id exists; an error
	// if ExpiresAt is set and has passed.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// GetAPIKey returns a live key, or ErrNotFound (also once deleted or
	// expired).
	GetAPIKey(ctx context.Context, id string) (*APIKey, error)
	// ListAPIKeys returns the user's live keys, oldest first.
	ListAPIKeys(ctx context.Context, email string) ([]*APIKey, error)
	// TouchAPIKey records that the key was used at t; an earlier t than
	// the one recorded changes nothing. ErrNotFound if there is no live
	// key with that id.
	TouchAPIKey(ctx context.Context, id string, t time.Time) error
	// DeleteAPIKey removes the key and its index entry and returns the
	// record as it was. ErrNotFound if there is none.
	DeleteAPIKey(ctx context.Context, id string) (*APIKey, error)
}
