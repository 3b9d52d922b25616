package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// ReportBlockLeft returns how long logins for email stay blocked after
// its user answered "deny and report" (zero if they are not blocked).
func (s *Service) ReportBlockLeft(ctx context.Context, email string) (time.Duration, error) {
	left, err := s.store.MarkTTL(ctx, blockKey(email))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the report block of %s: %w", email, err)
	}
	return left, nil
}

// ClearReportBlock lifts the block a "deny and report" put on email's
// logins.
func (s *Service) ClearReportBlock(ctx context.Context, email string) error {
	if err := s.store.Unmark(ctx, blockKey(email)); err != nil {
		return fmt.Errorf("unblocking %s: %w", email, err)
	}
	return nil
}
