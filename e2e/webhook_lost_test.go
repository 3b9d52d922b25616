package e2e

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// TestReceiversAddedAtRuntimeOutliveRedisRestartingEmpty adds a receiver
// through the admin API, restarts Redis without persistence, and checks
// that the receiver is still there (written back by the instance that
// knew it) and still gets events, as it did before.
func TestReceiversAddedAtRuntimeOutliveRedisRestartingEmpty(t *testing.T) {
	r := testenv.StartRedis(t)
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	t.Cleanup(recv.Close)
	g := startGate(t, storeLine(r.URL(0)), newUpstream(t), "")
	added := addPingReceiver(t, g.caddy.Admin, recv.URL)

	r.Restart(t)
	listed := func() bool { return slices.Contains(receiverIDs(t, g.caddy.Admin), added) }
	// The receiver list is reloaded every 2 s; give it a few rounds to
	// have dropped the receiver if it is going to.
	deadline := time.Now().Add(7 * time.Second)
	for time.Now().Before(deadline) {
		if !listed() {
			t.Fatalf("the receiver added through the admin API was lost with Redis's data\n%s", g.caddy.Log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	pingWebhook(t, g.caddy.Admin, added)
	for deadline = time.Now().Add(10 * time.Second); got.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if got.Load() == 0 {
		t.Fatal("the receiver got no event after Redis came back empty")
	}
	if !strings.Contains(g.caddy.Log(), "Redis lost the webhook receivers") {
		t.Error("the log does not say the receivers were written back")
	}
}
