package memory

import (
	"context"
	"slices"
	"time"
)

// ListUsers returns, sorted, the emails with at least one device, live
// session or live API key.
func (s *Store) ListUsers(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	now := time.Now()
	seen := make(map[string]bool)
	for _, d := range s.devices {
		seen[d.Email] = true
	}
	for _, sess := range s.sessions {
		if now.Before(sess.ExpiresAt) {
			seen[sess.Email] = true
		}
	}
	for _, k := range s.apiKeys {
		if apiKeyLive(k, now) {
			seen[k.Email] = true
		}
	}
	out := make([]string, 0, len(seen))
	for e := range seen {
		out = append(out, e)
	}
	slices.Sort(out)
	return out, nil
}
