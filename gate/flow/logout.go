package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
)

// Logout ends the session sid of email on every instance: the store
// records the revocation until until (when its token would expire anyway)
// and publishes it. It emits logout.
func (s *Service) Logout(ctx context.Context, sid, email string, until time.Time) error {
	if err := s.store.RevokeSession(ctx, sid, until); err != nil {
		return fmt.Errorf("revoking session: %w", err)
	}
	s.events.Emit(ctx, event.New(event.Logout, map[string]any{"sid": sid, "email": email}))
	return nil
}

// LogoutEverywhere voids every token of email by raising its generation,
// and deletes its sessions. It emits logout with everywhere=true and
// returns the new generation.
func (s *Service) LogoutEverywhere(ctx context.Context, email string) (int64, error) {
	gen, err := s.store.BumpGeneration(ctx, email)
	if err != nil {
		return 0, fmt.Errorf("raising token generation: %w", err)
	}
	sessions, err := s.store.ListSessions(ctx, email)
	if err != nil {
		return gen, fmt.Errorf("listing sessions to revoke: %w", err)
	}
	for _, sess := range sessions {
		if err := s.store.RevokeSession(ctx, sess.ID, sess.ExpiresAt); err != nil {
			return gen, fmt.Errorf("revoking session: %w", err)
		}
	}
	s.events.Emit(ctx, event.New(event.Logout, map[string]any{"email": email, "everywhere": true}))
	return gen, nil
}

// RevokeSession ends a session the caller has loaded, on behalf of an
// operator or of its own user (by is who asked, for the event), on every
// instance. It emits session_revoked.
func (s *Service) RevokeSession(ctx context.Context, sess *store.Session, by string) error {
	if err := s.store.RevokeSession(ctx, sess.ID, sess.ExpiresAt); err != nil {
		return fmt.Errorf("revoking session: %w", err)
	}
	s.events.Emit(ctx, event.New(event.SessionRevoked, map[string]any{
		"sid": sess.ID, "email": sess.Email, "by": by,
	}))
	return nil
}
