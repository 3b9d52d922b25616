package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAMatcherOnTheDirectiveKeepsTheLoginReachable protects only
// /private… with a matcher (and /admin… with a second directive of its
// own policy), in a site whose other paths go upstream: the gate's own
// pages are still the gate's, under the default gate path and under
// another, and each protected part needs its login.
func TestAMatcherOnTheDirectiveKeepsTheLoginReachable(t *testing.T) {
	for _, gatePath := range []string{"", "/_auth"} {
		up := newUpstream(t)
		lines := gateLines{matcher: "@app", site: "@app path /private*\n\tauthgate /admin* {\n\t\tapp_id admin\n\t\tallow email boss@example.com\n\t}"}
		prefix := "/.authgate"
		if gatePath != "" {
			lines.app, prefix = "gate_path "+gatePath, gatePath
		}
		g := startGateWith(t, storeLine(""), up, lines)
		b := newBrowser(t, g.base)
		html := http.Header{"Accept": {"text/html"}}
		_, before := up.lastHeaders() // the harness's readiness probe may have gone upstream
		status, _, body := b.do(http.MethodGet, prefix+"/login", html, nil)
		if _, hits := up.lastHeaders(); status != http.StatusOK || hits != before || !strings.Contains(string(body), `type="email"`) {
			t.Fatalf("the login page under %s: %d, %d upstream hits, %.80s", prefix, status, hits-before, body)
		}
		if status, h, _ := b.do(http.MethodGet, "/private", html, nil); status != http.StatusFound || !strings.HasPrefix(h.Get("Location"), prefix+"/login") {
			t.Fatalf("the protected part without a session: %d %v", status, h)
		}
		if status, _, body := b.do(http.MethodGet, "/elsewhere", nil, nil); status != http.StatusOK || string(body) != "hello " {
			t.Fatalf("the part the matcher leaves out: %d %q", status, body)
		}
		if gatePath == "" {
			dev := g.enroll("mia@example.com")
			b.login(dev, "mia@example.com")
			if status, _, body := b.do(http.MethodGet, "/private", nil, nil); status != http.StatusOK || string(body) != "hello mia@example.com" {
				t.Fatalf("the protected part with a session: %d %s", status, body)
			}
			if status, _, _ := b.do(http.MethodGet, "/admin", http.Header{"Accept": {"application/json"}}, nil); status != http.StatusForbidden {
				t.Fatalf("the part another directive keeps for boss: %d, want 403", status)
			}
		}
	}
}

// TestASinglePageAppsTryFilesLeavesTheGateAlone: try_files, which Caddy
// runs before most handlers, sends an app's unknown paths to /index.html;
// the gate runs before it, so its pages are never rewritten away and the
// return URL is the page the browser asked for.
func TestASinglePageAppsTryFilesLeavesTheGateAlone(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "index.html"), []byte("<p>the app</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateWith(t, storeLine(""), newUpstream(t), gateLines{site: "root * " + root + "\n\ttry_files {path} /index.html"})
	b := newBrowser(t, g.base)
	html := http.Header{"Accept": {"text/html"}}
	if status, h, _ := b.do(http.MethodGet, "/dashboard", html, nil); status != http.StatusFound || h.Get("Location") != "/.authgate/login?rd=%2Fdashboard" {
		t.Fatalf("an app page without a session: %d, Location %q", status, h.Get("Location"))
	}
	if status, _, body := b.do(http.MethodGet, "/.authgate/login?rd=%2Fdashboard", html, nil); status != http.StatusOK || !strings.Contains(string(body), `type="email"`) {
		t.Fatalf("the login page: %d %.120s", status, body)
	}
	var health struct{ Status string }
	if status := b.getJSON("/.authgate/healthz", &health); status != http.StatusOK || health.Status == "" {
		t.Fatalf("healthz: %d %+v", status, health)
	}
}
