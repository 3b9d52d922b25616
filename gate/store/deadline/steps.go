package deadline

import (
	"context"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// StartLogin calls the store's StartLogin with the deadline.
func (s *Store) StartLogin(ctx context.Context, st store.LoginStart) (*store.LoginStarted, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.StartLogin(ctx, st)
}

// PendingLogin calls the store's PendingLogin with the deadline.
func (s *Store) PendingLogin(ctx context.Context, email string) (*store.Login, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.PendingLogin(ctx, email)
}

// CollectLogin calls the store's CollectLogin with the deadline.
func (s *Store) CollectLogin(ctx context.Context, id string, c store.Collection) (*store.Login, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.CollectLogin(ctx, id, c)
}

// UseDevice calls the store's UseDevice with the deadline.
func (s *Store) UseDevice(ctx context.Context, id, mark string, ttl time.Duration, lastUsed time.Time) (*store.Device, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.UseDevice(ctx, id, mark, ttl, lastUsed)
}

// NoteApproval calls the store's NoteApproval with the deadline.
func (s *Store) NoteApproval(ctx context.Context, id string) (*store.Device, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.NoteApproval(ctx, id)
}

// DecideLogin calls the store's DecideLogin with the deadline.
func (s *Store) DecideLogin(ctx context.Context, id string, d store.Decision) (*store.Login, store.DecideOutcome, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.DecideLogin(ctx, id, d)
}

// OpenSession calls the store's OpenSession with the deadline.
func (s *Store) OpenSession(ctx context.Context, o store.SessionOpening) (*store.SessionOpened, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.OpenSession(ctx, o)
}

// UseDeviceForPending calls the store's UseDeviceForPending with the
// deadline.
func (s *Store) UseDeviceForPending(ctx context.Context, u store.DeviceUse, email string) (*store.PendingUse, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.UseDeviceForPending(ctx, u, email)
}

// UseDeviceAndDecide calls the store's UseDeviceAndDecide with the
// deadline.
func (s *Store) UseDeviceAndDecide(ctx context.Context, u store.DeviceUse, id string, d store.Decision) (*store.DecideUse, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.Store.UseDeviceAndDecide(ctx, u, id, d)
}
