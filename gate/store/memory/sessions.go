package memory

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// CreateSession stores a copy of sess until its ExpiresAt and indexes it
// under its email. ErrConflict if a live session has its id; an error if
// ExpiresAt has already passed.
func (s *Store) CreateSession(ctx context.Context, sess *store.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	now := time.Now()
	if !now.Before(sess.ExpiresAt) {
		return fmt.Errorf("memory store: creating session that expired at %v", sess.ExpiresAt)
	}
	if old, ok := s.sessions[sess.ID]; ok {
		if now.Before(old.ExpiresAt) {
			return fmt.Errorf("memory store: creating session: %w", store.ErrConflict)
		}
		s.deleteSessionLocked(sess.ID)
	}
	c := *sess
	s.sessions[sess.ID] = &c
	addIndex(s.userSessions, sess.Email, sess.ID)
	return nil
}

// GetSession returns a copy of the live session, or ErrNotFound.
func (s *Store) GetSession(ctx context.Context, id string) (*store.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	sess, ok := s.sessions[id]
	if !ok || !time.Now().Before(sess.ExpiresAt) {
		return nil, fmt.Errorf("memory store: session: %w", store.ErrNotFound)
	}
	c := *sess
	return &c, nil
}

// ListSessions returns copies of the user's live sessions, oldest first
// (ties by id).
func (s *Store) ListSessions(ctx context.Context, email string) ([]*store.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]*store.Session, 0, len(s.userSessions[email]))
	for id := range s.userSessions[email] {
		if sess := s.sessions[id]; now.Before(sess.ExpiresAt) {
			c := *sess
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *store.Session) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// deleteSessionLocked removes a session and its index entry; the caller
// holds s.mu.
func (s *Store) deleteSessionLocked(id string) {
	if sess, ok := s.sessions[id]; ok {
		delete(s.sessions, id)
		removeIndex(s.userSessions, sess.Email, id)
	}
}

// RevokeSession deletes the session, records id as revoked until until
// (nothing is recorded if until has passed) and hands the revocation to
// every subscriber without waiting for any of them.
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	s.deleteSessionLocked(id)
	if time.Now().Before(until) {
		s.revoked[id] = until
	}
	s.revocationSubs.publishLocked(store.RevocationEvent{SessionID: id, Until: until})
	return nil
}

// BumpGeneration raises the user's generation by one, publishes it and
// returns it.
func (s *Store) BumpGeneration(ctx context.Context, email string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	s.generations[email]++
	gen := s.generations[email]
	s.revocationSubs.publishLocked(store.RevocationEvent{Email: email, Generation: gen})
	return gen, nil
}

// Generation returns the user's generation, 0 if never bumped.
func (s *Store) Generation(ctx context.Context, email string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	return s.generations[email], nil
}

// Revocations returns a copy of the revocations still in force.
func (s *Store) Revocations(ctx context.Context) (*store.RevocationSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	now := time.Now()
	snap := &store.RevocationSnapshot{
		Sessions:    make(map[string]time.Time, len(s.revoked)),
		Generations: maps.Clone(s.generations),
		Epoch:       s.epoch,
	}
	if snap.Generations == nil {
		snap.Generations = map[string]int64{}
	}
	for id, until := range s.revoked {
		if now.Before(until) {
			snap.Sessions[id] = until
		}
	}
	return snap, nil
}

// RestoreRevocations merges snap into the recorded revocations: the later
// until of each session, the higher generation of each user, publishing
// each change. Revocations whose until has passed are skipped.
func (s *Store) RestoreRevocations(ctx context.Context, snap *store.RevocationSnapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return err
	}
	now := time.Now()
	for id, until := range snap.Sessions {
		if now.Before(until) && until.After(s.revoked[id]) {
			s.revoked[id] = until
			s.revocationSubs.publishLocked(store.RevocationEvent{SessionID: id, Until: until})
		}
	}
	for email, gen := range snap.Generations {
		if gen > s.generations[email] {
			s.generations[email] = gen
			s.revocationSubs.publishLocked(store.RevocationEvent{Email: email, Generation: gen})
		}
	}
	return nil
}
