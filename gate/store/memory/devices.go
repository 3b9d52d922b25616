package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// cloneDevice returns a copy of d that shares no memory with it.
func cloneDevice(d *store.Device) *store.Device {
	c := *d
	c.PublicKey = slices.Clone(d.PublicKey)
	c.Push = clonePush(d.Push)
	return &c
}

// CreateEnrollment stores the token hash for email, valid for ttl. A
// second call with the same hash replaces the first.
func (s *Store) CreateEnrollment(ctx context.Context, tokenHash, email string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	s.enrolls[tokenHash] = timed[string]{v: email, until: time.Now().Add(ttl)}
	return nil
}

// ConsumeEnrollment returns the token's email and deletes the token under
// the store's lock, so exactly one caller gets it. ErrNotFound if unknown,
// used or expired.
func (s *Store) ConsumeEnrollment(ctx context.Context, tokenHash string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return "", err
	}
	e, ok := s.enrolls[tokenHash]
	delete(s.enrolls, tokenHash)
	if !ok || !e.live(time.Now()) {
		return "", fmt.Errorf("memory store: enrolment token: %w", store.ErrNotFound)
	}
	return e.v, nil
}

// CreateDevice stores a copy of d and indexes it under its email.
// ErrConflict if the id exists.
func (s *Store) CreateDevice(ctx context.Context, d *store.Device) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	if _, ok := s.devices[d.ID]; ok {
		return fmt.Errorf("memory store: creating device: %w", store.ErrConflict)
	}
	s.devices[d.ID] = cloneDevice(d)
	addIndex(s.userDevices, d.Email, d.ID)
	return nil
}

// GetDevice returns a copy of the device, or ErrNotFound.
func (s *Store) GetDevice(ctx context.Context, id string) (*store.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	d, ok := s.devices[id]
	if !ok {
		return nil, fmt.Errorf("memory store: device: %w", store.ErrNotFound)
	}
	return cloneDevice(d), nil
}

// UpdateDevice replaces the device's name and last-used time (those
// given).
// ErrNotFound if there is no such device.
func (s *Store) UpdateDevice(ctx context.Context, id, name string, lastUsed time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	d, ok := s.devices[id]
	if !ok {
		return fmt.Errorf("memory store: updating device: %w", store.ErrNotFound)
	}
	if name != "" {
		d.Name = name
	}
	if !lastUsed.IsZero() {
		d.LastUsed = lastUsed
	}
	return nil
}

// ListDevices returns copies of the user's devices, oldest first (ties by
// id).
func (s *Store) ListDevices(ctx context.Context, email string) ([]*store.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	out := make([]*store.Device, 0, len(s.userDevices[email]))
	for id := range s.userDevices[email] {
		out = append(out, cloneDevice(s.devices[id]))
	}
	slices.SortFunc(out, func(a, b *store.Device) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteDevice removes the device and its index entry. ErrNotFound if
// there is none.
func (s *Store) DeleteDevice(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	d, ok := s.devices[id]
	if !ok {
		return fmt.Errorf("memory store: deleting device: %w", store.ErrNotFound)
	}
	delete(s.devices, id)
	removeIndex(s.userDevices, d.Email, id)
	s.loginSubs.publishLocked(store.LoginChange{DeviceID: id})
	return nil
}
