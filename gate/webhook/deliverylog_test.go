package webhook_test

import (
	"testing"
	"time"

	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/gate/webhook/deliverylogtest"
)

func TestMemoryLogPassesTheContract(t *testing.T) {
	deliverylogtest.Run(t, func(t *testing.T, keep int, ttl time.Duration) webhook.DeliveryLog {
		return webhook.NewMemoryLog(keep, ttl)
	})
}
