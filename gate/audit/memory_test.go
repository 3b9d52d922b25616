package audit_test

import (
	"testing"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/audit/audittest"
)

func TestRingPassesTheContract(t *testing.T) {
	audittest.Run(t, func(t *testing.T, limits audit.Limits) audit.Trail { return audit.NewRing(limits) })
}
