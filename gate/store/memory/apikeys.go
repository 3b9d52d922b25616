package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// cloneAPIKey returns a copy of k that shares no memory with it.
func cloneAPIKey(k *store.APIKey) *store.APIKey {
	c := *k
	c.Hash = slices.Clone(k.Hash)
	return &c
}

// apiKeyLive reports whether k is still live at now.
func apiKeyLive(k *store.APIKey, now time.Time) bool {
	return k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt)
}

// CreateAPIKey stores a copy of k and indexes it under its email.
// ErrConflict if a live key has its id; an error if its expiry has passed.
func (s *Store) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	now := time.Now()
	if !apiKeyLive(k, now) {
		return fmt.Errorf("memory store: creating API key that expired at %v", k.ExpiresAt)
	}
	if old, ok := s.apiKeys[k.ID]; ok {
		if apiKeyLive(old, now) {
			return fmt.Errorf("memory store: creating API key: %w", store.ErrConflict)
		}
		s.deleteAPIKeyLocked(k.ID)
	}
	s.apiKeys[k.ID] = cloneAPIKey(k)
	addIndex(s.userAPIKeys, k.Email, k.ID)
	return nil
}

// GetAPIKey returns a copy of the live key, or ErrNotFound.
func (s *Store) GetAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	k, ok := s.apiKeys[id]
	if !ok || !apiKeyLive(k, time.Now()) {
		return nil, fmt.Errorf("memory store: API key: %w", store.ErrNotFound)
	}
	return cloneAPIKey(k), nil
}

// ListAPIKeys returns copies of the user's live keys, oldest first (ties
// by id).
func (s *Store) ListAPIKeys(ctx context.Context, email string) ([]*store.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]*store.APIKey, 0, len(s.userAPIKeys[email]))
	for id := range s.userAPIKeys[email] {
		if k := s.apiKeys[id]; apiKeyLive(k, now) {
			out = append(out, cloneAPIKey(k))
		}
	}
	slices.SortFunc(out, func(a, b *store.APIKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// TouchAPIKey moves the key's last-used time forward to t. ErrNotFound if
// there is no live key with that id.
func (s *Store) TouchAPIKey(ctx context.Context, id string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	k, ok := s.apiKeys[id]
	if !ok || !apiKeyLive(k, time.Now()) {
		return fmt.Errorf("memory store: touching API key: %w", store.ErrNotFound)
	}
	if t.After(k.LastUsed) {
		k.LastUsed = t
	}
	return nil
}

// DeleteAPIKey removes the key and its index entry and returns it.
// ErrNotFound if there is no live key with that id.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	k, ok := s.apiKeys[id]
	if !ok || !apiKeyLive(k, time.Now()) {
		return nil, fmt.Errorf("memory store: deleting API key: %w", store.ErrNotFound)
	}
	s.deleteAPIKeyLocked(id)
	return k, nil
}

// deleteAPIKeyLocked removes a key and its index entry; the caller holds
// s.mu.
func (s *Store) deleteAPIKeyLocked(id string) {
	if k, ok := s.apiKeys[id]; ok {
		delete(s.apiKeys, id)
		removeIndex(s.userAPIKeys, k.Email, id)
	}
}

// sweepAPIKeysLocked deletes the keys that expired before now; the caller
// holds s.mu.
func (s *Store) sweepAPIKeysLocked(now time.Time) {
	for id, k := range s.apiKeys {
		if !apiKeyLive(k, now) {
			s.deleteAPIKeyLocked(id)
		}
	}
}
