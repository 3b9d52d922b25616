package store

import (
	"context"
	"time"
)

// WatchedLogin is a pending login an instance watches until its window
// ends, so that it ends with an event though nobody reads it again.
type WatchedLogin struct {
	ID  string
	End time.Time
}

// ExpiryHandover is implemented by stores that outlive an instance (the
// Redis store): an instance that stops hands the pending logins it was
// watching to the store, and any running or later instance takes them
// to watch in its place. A store whose records end with its instance
// (the memory store) has no need of it.
type ExpiryHandover interface {
	// HandOverExpiries keeps logins for another instance to take. A
	// login handed over twice is kept once.
	HandOverExpiries(ctx context.Context, logins []WatchedLogin) error
	// TakeHandedOverExpiries removes and returns up to max logins handed
	// over, soonest end first. Each login is returned to one caller only.
	TakeHandedOverExpiries(ctx context.Context, max int) ([]WatchedLogin, error)
}
