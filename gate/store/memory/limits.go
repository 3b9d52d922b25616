package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// Hit counts one hit on key in a fixed window that starts with the first
// hit after the previous window ended. It returns the count so far in this
// window and the time until the window ends.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return 0, 0, err
	}
	now := time.Now()
	e, ok := s.hits[key]
	if !ok || !e.live(now) {
		e = timed[int64]{until: now.Add(window)}
	}
	e.v++
	s.hits[key] = e
	return e.v, e.until.Sub(now), nil
}

// Mark sets key for ttl, or returns ErrConflict, changing nothing, if it is
// set.
func (s *Store) Mark(ctx context.Context, key string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	now := time.Now()
	if until, ok := s.marks[key]; ok && now.Before(until) {
		return fmt.Errorf("memory store: mark: %w", store.ErrConflict)
	}
	s.marks[key] = now.Add(ttl)
	return nil
}

// MarkTTL returns how long key stays set, or ErrNotFound.
func (s *Store) MarkTTL(ctx context.Context, key string) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	until, ok := s.marks[key]
	left := time.Until(until)
	if !ok || left <= 0 {
		return 0, fmt.Errorf("memory store: mark: %w", store.ErrNotFound)
	}
	return left, nil
}

// Unmark clears key; clearing an unset key is not an error.
func (s *Store) Unmark(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	delete(s.marks, key)
	return nil
}
