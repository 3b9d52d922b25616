package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/authgate/authgate/gate/store"
)

// clonePush returns a copy of p that shares no memory with it.
func clonePush(p *store.PushSubscription) *store.PushSubscription {
	if p == nil {
		return nil
	}
	c := *p
	c.P256dh, c.Auth = slices.Clone(p.P256dh), slices.Clone(p.Auth)
	return &c
}

// SetPushSubscription replaces the device's push subscription (nil
// removes it). ErrNotFound if there is no such device.
func (s *Store) SetPushSubscription(ctx context.Context, id string, sub *store.PushSubscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	d, ok := s.devices[id]
	if !ok {
		return fmt.Errorf("memory store: setting push subscription: %w", store.ErrNotFound)
	}
	d.Push = clonePush(sub)
	return nil
}

// DropPushSubscription removes the device's push subscription if its
// endpoint is endpoint.
func (s *Store) DropPushSubscription(ctx context.Context, id, endpoint string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	if d, ok := s.devices[id]; ok && d.Push != nil && d.Push.Endpoint == endpoint {
		d.Push = nil
	}
	return nil
}
