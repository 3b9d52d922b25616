package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/device"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/policy"
)

// EnrollmentLink makes a one-time enrolment link for email, relative to
// the gate base URL baseURL (scheme, host and prefix). The link works
// once and expires after the enrolment TTL.
func (g *Gateway) EnrollmentLink(ctx context.Context, baseURL, email string) (string, time.Time, error) {
	email = policy.CanonicalEmail(email)
	if !policy.ValidEmail(email) {
		return "", time.Time{}, fmt.Errorf("enrolment for %q: %w", email, flow.ErrInvalidEmail)
	}
	tok, exp, err := g.enroller.CreateToken(ctx, email)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("creating enrolment token: %w", err)
	}
	return device.EnrollmentLink(baseURL, tok), exp, nil
}
