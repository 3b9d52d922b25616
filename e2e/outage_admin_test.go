package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/testenv"
)

// TestAdminAPIWhileRedisIsDown stops Redis under a running gateway: the
// admin API's enrolment link and new receivers answer 503 and say the
// store cannot be reached (not 400, not the store's internals), the CLI
// says so in words, and both work again once Redis is back.
func TestAdminAPIWhileRedisIsDown(t *testing.T) {
	r := testenv.StartRedis(t)
	g := startGate(t, storeLine(r.URL(0)), newUpstream(t), "")
	post := func(path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(g.caddy.Admin+path, "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	enrol, receiver := `{"email":"ops@example.com"}`, `{"url":"http://127.0.0.1:9/hook"}`

	r.Stop()
	for path, body := range map[string]string{"/authgate/enroll": enrol, "/authgate/webhooks": receiver} {
		status, answer := post(path, body)
		if status != http.StatusServiceUnavailable || !strings.Contains(answer, "cannot be reached") ||
			strings.Contains(answer, "redis") || strings.Contains(answer, "dial tcp") {
			t.Errorf("POST %s with Redis down: %d %s", path, status, answer)
		}
	}
	_, errOut, code := g.runCLI("enroll", "ops@example.com", "--no-qr")
	if code == 0 || !strings.Contains(errOut, "cannot be reached") || strings.Contains(errOut, "redis store") {
		t.Errorf("caddy authgate enroll with Redis down (exit %d): %s", code, errOut)
	}

	// The Redis client redials a failed pool about once a second.
	r.Restart(t)
	for path, body := range map[string]string{"/authgate/enroll": enrol, "/authgate/webhooks": receiver} {
		deadline := time.Now().Add(5 * time.Second)
		status, answer := post(path, body)
		for status/100 != 2 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			status, answer = post(path, body)
		}
		if status/100 != 2 {
			t.Errorf("POST %s once Redis is back: %d %s", path, status, answer)
		}
	}
}

// TestStatusAnswersWithinASecondWhileRedisStalls stalls Redis (SIGSTOP:
// connections stay open, nothing answers) under a gateway with a
// receiver: GET /authgate/status still answers within about a second,
// unhealthy, with the store and the outbox not answering, and the CLI
// says UNHEALTHY and exits 1.
func TestStatusAnswersWithinASecondWhileRedisStalls(t *testing.T) {
	r := testenv.StartRedis(t)
	g := startGate(t, storeLine(r.URL(0)), newUpstream(t), `webhook http://127.0.0.1:9/hook {
			secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
		}`)
	if status, body := g.adminCall(http.MethodGet, "/authgate/status", ""); status != http.StatusOK || !strings.Contains(body, `"healthy":true`) {
		t.Fatalf("status before the stall: %d %s", status, body)
	}

	r.Pause(t)
	start := time.Now()
	status, body := g.adminCall(http.MethodGet, "/authgate/status", "")
	took := time.Since(start)
	var st struct {
		Healthy bool
		Store   struct{ Reachable bool }
		Outbox  struct{ Error string }
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil || st.Healthy || st.Store.Reachable || st.Outbox.Error == "" {
		t.Fatalf("status while Redis stalls: %d %s", status, body)
	}
	if took > 1500*time.Millisecond {
		t.Fatalf("status took %s while Redis stalls, want about 1 s", took)
	}
	out, _, code := g.runCLI("status")
	if code != 1 || !strings.Contains(out, "UNHEALTHY") || !strings.Contains(out, "did not answer within 1 s") {
		t.Fatalf("caddy authgate status while Redis stalls (exit %d):\n%s", code, out)
	}
}

// TestStatusSaysAFullRedisRefusesWrites: a Redis full under noeviction
// answers PING, and logged-in users keep access, but every new login
// fails: the status is unhealthy with Redis's reason, and the CLI says
// the store refuses writes and exits 1.
func TestStatusSaysAFullRedisRefusesWrites(t *testing.T) {
	r := testenv.StartRedisWith(t, "--maxmemory-policy", "noeviction")
	g := startGate(t, storeLine(r.URL(0)), newUpstream(t), "")
	if status, body := g.adminCall(http.MethodGet, "/authgate/status", ""); status != http.StatusOK || !strings.Contains(body, `"healthy":true`) {
		t.Fatalf("status before Redis is full: %d %s", status, body)
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	if err := rdb.ConfigSet(t.Context(), "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	status, body := g.adminCall(http.MethodGet, "/authgate/status", "")
	var st struct {
		Healthy bool
		Store   struct {
			Reachable  bool
			WriteError string `json:"write_error"`
		}
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil || st.Healthy || !st.Store.Reachable || !strings.Contains(st.Store.WriteError, "OOM") {
		t.Fatalf("status while Redis is full: %d %s", status, body)
	}
	out, _, code := g.runCLI("status")
	if code != 1 || !strings.Contains(out, "UNHEALTHY") || !strings.Contains(out, "REFUSES WRITES") {
		t.Fatalf("caddy authgate status while Redis is full (exit %d):\n%s", code, out)
	}
}
