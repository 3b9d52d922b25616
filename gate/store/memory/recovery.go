package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/authgate/authgate/gate/store"
)

// ResetHits clears the counter key.
func (s *Store) ResetHits(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	delete(s.hits, key)
	return nil
}

// ReplaceRecoveryCodes makes hashes the user's only recovery codes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, email string, hashes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	if len(hashes) == 0 {
		delete(s.recovery, email)
		return nil
	}
	set := make(map[string]struct{}, len(hashes))
	for _, h := range hashes {
		set[h] = struct{}{}
	}
	s.recovery[email] = set
	return nil
}

// UseRecoveryCode removes the first held of hashes and returns how many
// codes are left, or ErrNotFound.
func (s *Store) UseRecoveryCode(ctx context.Context, email string, hashes []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	set := s.recovery[email]
	i := slices.IndexFunc(hashes, func(h string) bool { _, ok := set[h]; return ok })
	if i < 0 {
		return 0, fmt.Errorf("memory store: using recovery code: %w", store.ErrNotFound)
	}
	delete(set, hashes[i])
	if len(set) == 0 {
		delete(s.recovery, email)
	}
	return len(set), nil
}

// RecoveryCodesLeft returns how many unused codes the user holds.
func (s *Store) RecoveryCodesLeft(ctx context.Context, email string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	return len(s.recovery[email]), nil
}
