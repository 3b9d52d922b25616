package e2e

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

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
