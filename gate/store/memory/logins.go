package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// cloneLogin returns a copy of l that shares no memory with it.
func cloneLogin(l *store.Login) *store.Login {
	c := *l
	c.Choices = slices.Clone(l.Choices)
	c.Groups = slices.Clone(l.Groups)
	return &c
}

// CreateLogin stores a copy of l for ttl. ErrConflict if a live login has
// its id.
func (s *Store) CreateLogin(ctx context.Context, l *store.Login, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	now := time.Now()
	if e, ok := s.logins[l.ID]; ok && e.live(now) {
		return fmt.Errorf("memory store: creating login: %w", store.ErrConflict)
	}
	s.logins[l.ID] = timed[*store.Login]{v: cloneLogin(l), until: now.Add(ttl)}
	s.loginSubs.publishLocked(store.LoginChange{ID: l.ID, Email: l.Email})
	return nil
}

// GetLogin returns a copy of the live login id, or ErrNotFound.
func (s *Store) GetLogin(ctx context.Context, id string) (*store.Login, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	e, ok := s.logins[id]
	if !ok || !e.live(time.Now()) {
		return nil, fmt.Errorf("memory store: login: %w", store.ErrNotFound)
	}
	return cloneLogin(e.v), nil
}

// TransitionLogin moves the login from t.From to t.To under the store's
// lock. Non-zero fields of t (Reason, DeviceID, At as DecidedAt,
// SessionID) replace the login's; zero ones leave them as they were. The
// login keeps its original lifetime.
func (s *Store) TransitionLogin(ctx context.Context, id string, t store.Transition) (*store.Login, error) {
	if t.To == "" {
		return nil, fmt.Errorf("memory store: transition of login to an empty status")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	e, ok := s.logins[id]
	if !ok || !e.live(time.Now()) {
		return nil, fmt.Errorf("memory store: transition of login: %w", store.ErrNotFound)
	}
	l := e.v
	if l.Status != t.From {
		return cloneLogin(l), fmt.Errorf("memory store: transition of login from %s, but it is %s: %w", t.From, l.Status, store.ErrConflict)
	}
	l.Status = t.To
	if t.Reason != "" {
		l.Reason = t.Reason
	}
	if t.DeviceID != "" {
		l.DeviceID = t.DeviceID
	}
	if !t.At.IsZero() {
		l.DecidedAt = t.At
	}
	if t.SessionID != "" {
		l.SessionID = t.SessionID
	}
	if p, ok := s.pending[t.ReleaseEmail]; ok && t.ReleaseEmail != "" && p.v == id {
		delete(s.pending, t.ReleaseEmail)
	}
	s.loginSubs.publishLocked(store.LoginChange{ID: id})
	return cloneLogin(l), nil
}

// ClaimPending records id as email's pending login for ttl, also when id
// already holds the claim (its lifetime starts over). If another live id
// holds it, it returns that id and ErrConflict.
func (s *Store) ClaimPending(ctx context.Context, email, id string, ttl time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return "", err
	}
	now := time.Now()
	if e, ok := s.pending[email]; ok && e.live(now) && e.v != id {
		return e.v, fmt.Errorf("memory store: claiming pending login: %w", store.ErrConflict)
	}
	s.pending[email] = timed[string]{v: id, until: now.Add(ttl)}
	return id, nil
}

// PendingFor returns the id holding email's pending claim, or ErrNotFound.
func (s *Store) PendingFor(ctx context.Context, email string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return "", err
	}
	e, ok := s.pending[email]
	if !ok || !e.live(time.Now()) {
		return "", fmt.Errorf("memory store: pending login: %w", store.ErrNotFound)
	}
	return e.v, nil
}

// ReleasePending clears email's pending claim if id holds it; otherwise it
// changes nothing and returns nil.
func (s *Store) ReleasePending(ctx context.Context, email, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	if e, ok := s.pending[email]; ok && e.v == id {
		delete(s.pending, email)
	}
	return nil
}
