package gateway

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// stallBound is how long any request or admin call may take while Redis
// is stalled.
const stallBound = time.Second

// TestStalledRedisFailsRequestsWithinASecond pauses redis-server
// (SIGSTOP: connections stay open, nothing answers) under a running
// gateway and times a request on each path that reads the store, and
// admin calls: each must fail (503 for requests) within a second.
func TestStalledRedisFailsRequestsWithinASecond(t *testing.T) {
	r := testenv.StartRedis(t)
	st, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lg := startLiveGate(t, st)
	dev := lg.enroll(t, "sam@example.com")
	b := lg.browser(t)
	id, _ := b.start("sam@example.com")

	r.Pause(t)
	timed := func(what string, want int, do func() int) {
		t.Helper()
		start := time.Now()
		got := do()
		took := time.Since(start)
		t.Logf("%s with Redis stalled: %d in %v", what, got, took.Round(time.Millisecond))
		if got != want {
			t.Errorf("%s: status %d, want %d", what, got, want)
		}
		if took > stallBound {
			t.Errorf("%s took %v, want <= %v", what, took, stallBound)
		}
	}
	send := func(method, path string, body []byte) int {
		req, _ := http.NewRequest(method, lg.srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := b.http.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	timed("login start", http.StatusServiceUnavailable, func() int {
		return send(http.MethodPost, "/.authgate/auth/start", []byte(`{"email":"tom@example.com","rd":"/"}`))
	})
	timed("login check", http.StatusServiceUnavailable, func() int {
		return send(http.MethodGet, "/.authgate/auth/check/"+id, nil)
	})
	timed("login event stream", http.StatusServiceUnavailable, func() int {
		return send(http.MethodGet, "/.authgate/auth/events/"+id, nil)
	})
	timed("device pending list", http.StatusServiceUnavailable, func() int {
		req, _ := http.NewRequest(http.MethodGet, lg.srv.URL+"/.authgate/device/pending", nil)
		if err := dev.SignRequest(req, nil); err != nil {
			t.Fatal(err)
		}
		resp, err := lg.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	})
	ctx := context.Background()
	timed("admin enrolment link", 0, func() int {
		if _, _, err := lg.gw.EnrollmentLink(ctx, lg.srv.URL+lg.gw.Prefix(), "una@example.com"); err == nil {
			t.Error("enrolment link made with Redis stalled")
		}
		return 0
	})
	timed("admin device revocation", 0, func() int {
		if err := lg.gw.RevokeDevice(ctx, dev.DeviceID); err == nil {
			t.Error("device revoked with Redis stalled")
		}
		return 0
	})

	r.Resume(t)
	deadline := time.Now().Add(5 * time.Second)
	for send(http.MethodGet, "/.authgate/auth/check/"+id, nil) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not recover after Redis resumed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
