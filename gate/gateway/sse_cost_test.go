package gateway

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// maxStreamCommandsPerSecond is what one waiting browser or phone may
// cost in Redis commands per second after its first read.
const maxStreamCommandsPerSecond = 0.1

// streamCostWindow is how long the cost test watches idle streams: longer
// than every safety re-read (deviceEventsEvery is the longest), so each
// one falls inside it at least once. AUTHGATE_STREAM_COST_WINDOW (a Go
// duration) overrides it.
func streamCostWindow(t *testing.T) time.Duration {
	if v := os.Getenv("AUTHGATE_STREAM_COST_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("AUTHGATE_STREAM_COST_WINDOW: %v", err)
		}
		return d
	}
	return deviceEventsEvery + 2*time.Second
}

// TestWaitingStreamsCostAlmostNoRedisCommands opens 50 phone streams and
// 50 browser streams on one instance with a real redis-server, and counts
// with INFO commandstats what they cost while they wait; then it approves
// one login and times how long its browser takes to hear of it.
func TestWaitingStreamsCostAlmostNoRedisCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("watches idle streams for over 30 s")
	}
	const n = 50
	r := testenv.StartRedis(t)
	st, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lg := startLiveGateConfig(t, st, Config{Flow: flow.Config{PushesPerIP: 10 * n, LoginTimeout: 5 * time.Minute}})
	for deadline := time.Now().Add(5 * time.Second); !lg.gw.live.Up(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the live hub never subscribed")
		}
	}

	type waiter struct {
		email  string
		phone  *sseReader
		stream *sseReader
		id     string
		code   int
		dev    interface {
			Decide(context.Context, string, string, int) (string, error)
		}
	}
	ws := make([]*waiter, n)
	for i := range ws {
		email := fmt.Sprintf("user%d@example.com", i)
		dev := lg.enroll(t, email)
		w := &waiter{email: email, dev: dev, phone: deviceEvents(t, lg, dev)}
		var ev pendingEvent
		w.phone.mustNext(t, "pending", &ev)
		ws[i] = w
	}
	for _, w := range ws {
		b := lg.browser(t)
		b.http.Timeout = 0 // the stream stays open past the client's usual limit
		w.id, w.code = b.start(w.email)
		var pe pendingEvent
		w.phone.mustNext(t, "pending", &pe)
		if len(pe.Logins) != 1 || pe.Logins[0].SessionID != w.id {
			t.Fatalf("phone of %s shows %+v, want its login", w.email, pe)
		}
		w.stream = b.loginEvents(w.id)
		var se loginStatusEvent
		w.stream.mustNext(t, "status", &se)
		if se.Status != "pending" {
			t.Fatalf("first status %+v", se)
		}
	}
	time.Sleep(time.Second) // let the last reads finish

	window := streamCostWindow(t)
	before := r.Stats(t)
	time.Sleep(window)
	cost := r.Stats(t).Since(before)
	perStream := float64(cost.Total()) / float64(2*n) / window.Seconds()
	t.Logf("%d phones and %d browsers waiting for %v: %s", n, n, window, cost)
	t.Logf("Redis commands per waiting stream per second: %.4f (aim <= %.1f; instance background included)", perStream, maxStreamCommandsPerSecond)
	if perStream > maxStreamCommandsPerSecond {
		t.Errorf("a waiting stream costs %.4f commands/s, want <= %.1f", perStream, maxStreamCommandsPerSecond)
	}

	// Approvals still arrive at once: time a few.
	var worst time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, w := range ws[:5] {
		start := time.Now()
		if status, err := w.dev.Decide(ctx, w.id, "approve", w.code); err != nil || status != "approved" {
			t.Fatalf("approve: %q %v", status, err)
		}
		var se loginStatusEvent
		w.stream.mustNext(t, "status", &se)
		took := time.Since(start)
		if se.Status != "approved" {
			t.Fatalf("after approval: %+v", se)
		}
		worst = max(worst, took)
	}
	t.Logf("approval to browser event (decide request included), worst of 5: %v", worst)
	if worst > 100*time.Millisecond {
		t.Errorf("an approval took %v to reach its browser, want <= 100ms", worst)
	}
}
