package e2e

import (
	"testing"

	"github.com/authgate/authgate/internal/testenv"
)

// forEachStore runs body once with the memory store and once with a fresh
// redis-server.
func forEachStore(t *testing.T, body func(t *testing.T, storeOpt string)) {
	t.Run("memory", func(t *testing.T) { body(t, storeLine("")) })
	t.Run("redis", func(t *testing.T) {
		r := testenv.StartRedis(t)
		body(t, storeLine(r.URL(0)))
	})
}
