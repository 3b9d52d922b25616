package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// TestRedisOutageFailsClosed stops Redis under a running gateway: new
// logins get 503 with Retry-After (never 401, never a pass upstream),
// a logged-in user keeps access until revocations are older than
// revocation_max_staleness (3 s in these tests), then gets 503; the
// health endpoint says so.
func TestRedisOutageFailsClosed(t *testing.T) {
	r := testenv.StartRedis(t)
	up := newUpstream(t)
	g := startGate(t, storeLine(r.URL(0)), up, "")
	dev := g.enroll("kate@example.com")
	b := newBrowser(t, g.base)
	b.login(dev, "kate@example.com")

	r.Stop()
	stopped := time.Now()

	status, h, body := b.do(http.MethodPost, "/.authgate/auth/start", http.Header{"Content-Type": {"application/json"}}, []byte(`{"email":"leo@example.com"}`))
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.Contains(string(body), `"error"`) {
		t.Fatalf("start with Redis down: %d Retry-After=%q %s", status, h.Get("Retry-After"), body)
	}
	status, _, page := b.do(http.MethodPost, "/.authgate/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}}, []byte("email=leo%40example.com&rd=%2F"))
	if status != http.StatusServiceUnavailable || !strings.Contains(string(page), "<html") {
		t.Fatalf("login form with Redis down: %d %.200s", status, page)
	}

	status, _, _ = b.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil)
	if status != http.StatusOK && time.Since(stopped) < 2*time.Second {
		t.Fatalf("a logged-in user lost access at once: %d", status)
	}
	var health struct{ Status, Store, Revocations string }
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _, _ = b.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil)
		if status == http.StatusServiceUnavailable {
			break
		}
		if status != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("protected page %v after Redis stopped: %d, want 200 then 503", time.Since(stopped), status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if cut := time.Since(stopped); cut < 2*time.Second {
		t.Fatalf("access ended after %v, before the staleness bound", cut)
	}
	hs := b.getJSON("/.authgate/healthz", &health)
	if hs != http.StatusServiceUnavailable || health.Store != "unreachable" || health.Revocations != "stale" {
		t.Fatalf("health with Redis down: %d %+v", hs, health)
	}
	if strings.Contains(g.caddy.Log(), "panic") {
		t.Fatalf("a panic reached the log")
	}
}
