package memory

import (
	"context"
	"slices"
)

// ListUsers returns, sorted, the emails with at least one device.
func (s *Store) ListUsers(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	seen := make(map[string]bool)
	for _, d := range s.devices {
		seen[d.Email] = true
	}
	out := make([]string, 0, len(seen))
	for e := range seen {
		out = append(out, e)
	}
	slices.Sort(out)
	return out, nil
}
