package memory

import (
	"context"

	"github.com/authgate/authgate/gate/store"
)

// OpenSession creates the session, then reads the generation and notes
// the device's approval, as the three calls do.
func (s *Store) OpenSession(ctx context.Context, o store.SessionOpening) (*store.SessionOpened, error) {
	if err := s.CreateSession(ctx, o.Session); err != nil {
		return nil, err
	}
	gen, err := s.Generation(ctx, o.Session.Email)
	if err != nil {
		return nil, err
	}
	out := &store.SessionOpened{Generation: gen}
	if o.DeviceID != "" {
		out.Device, out.FirstApproval, out.NoteErr = s.NoteApproval(ctx, o.DeviceID)
	}
	return out, nil
}
