package device

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The decisions a device can sign.
const (
	DecisionApprove = "approve"
	DecisionDeny    = "deny"
	DecisionReport  = "report" // deny, and block further pushes for a while
)

// ErrInvalidDecision means a decision is malformed: an unknown decision, a
// number where none belongs, or a session id that cannot be signed
// unambiguously. The HTTP layer answers 400 to it.
var ErrInvalidDecision = errors.New("device: invalid decision")

// decisionPrefix opens every signed decision message.
const decisionPrefix = "authgate-decision-v1"

// DecisionMessage returns the bytes a device signs for a decision:
// "authgate-decision-v1|" + sessionID + "|" + decision + "|" + number +
// "|" + ts, number and ts in decimal. Client and server build it with this
// one function; it does not validate its arguments (see ValidateDecision).
func DecisionMessage(sessionID, decision string, number int, ts int64) []byte {
	return []byte(decisionPrefix + "|" + sessionID + "|" + decision + "|" +
		strconv.Itoa(number) + "|" + strconv.FormatInt(ts, 10))
}

// ValidateDecision checks the shape of a decision: a non-empty session id
// without "|" or control characters, one of the three decisions, and a
// number that is 0 to 99 for approve and exactly 0 for deny and report.
// Its errors wrap ErrInvalidDecision.
func ValidateDecision(sessionID, decision string, number int) error {
	if sessionID == "" || len(sessionID) > 128 ||
		strings.ContainsFunc(sessionID, func(r rune) bool { return r == '|' || r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("%w: malformed session id", ErrInvalidDecision)
	}
	switch decision {
	case DecisionApprove:
		if number < 0 || number > 99 {
			return fmt.Errorf("%w: number %d is not a two-digit code", ErrInvalidDecision, number)
		}
	case DecisionDeny, DecisionReport:
		if number != 0 {
			return fmt.Errorf("%w: %s carries number %d, want 0", ErrInvalidDecision, decision, number)
		}
	default:
		return fmt.Errorf("%w: unknown decision %q", ErrInvalidDecision, decision)
	}
	return nil
}

// VerifyDecision checks a signed decision: its shape (ValidateDecision),
// that ts (Unix milliseconds) is at most maxSkew from now either way
// (maxSkew <= 0 means DefaultMaxSkew), and that sig, raw or DER, is pub's
// signature of DecisionMessage. It returns nil only if all hold; otherwise
// an error wrapping ErrInvalidDecision, ErrStale or ErrBadSignature.
func VerifyDecision(pub *ecdsa.PublicKey, sessionID, decision string, number int, ts int64, sig []byte, now time.Time, maxSkew time.Duration) error {
	if err := ValidateDecision(sessionID, decision, number); err != nil {
		return err
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	if ts <= 0 || !withinSkew(ts, now, maxSkew) {
		return fmt.Errorf("%w (decision)", ErrStale)
	}
	if !VerifySignature(pub, DecisionMessage(sessionID, decision, number, ts), sig) {
		return fmt.Errorf("%w (decision)", ErrBadSignature)
	}
	return nil
}
