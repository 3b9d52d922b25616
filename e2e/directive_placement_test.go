package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAMatcherOnTheDirectiveKeepsTheLoginReachable protects only
// /private… with a matcher: the gate's own pages are still served, the
// protected part needs a login, and the rest passes without one but
// stripped of spoofed identity headers and of the gateway's cookies.
func TestAMatcherOnTheDirectiveKeepsTheLoginReachable(t *testing.T) {
	up := newUpstream(t)
	g := startGateWith(t, storeLine(""), up, gateLines{matcher: "@app", site: "@app path /private*"})
	b := newBrowser(t, g.base)
	html := http.Header{"Accept": {"text/html"}}

	status, _, body := b.do(http.MethodGet, "/.authgate/login", html, nil)
	if _, hits := up.lastHeaders(); status != http.StatusOK || hits != 0 || strings.Contains(string(body), "hello") {
		t.Fatalf("the login page: %d, %d upstream hits, %.80s", status, hits, body)
	}
	if status, h, _ := b.do(http.MethodGet, "/private", html, nil); status != http.StatusFound || !strings.HasPrefix(h.Get("Location"), "/.authgate/login") {
		t.Fatalf("the protected part without a session: %d %v", status, h)
	}
	dev := g.enroll("mia@example.com")
	b.login(dev, "mia@example.com")
	if status, _, body := b.do(http.MethodGet, "/private", nil, nil); status != http.StatusOK || string(body) != "hello mia@example.com" {
		t.Fatalf("the protected part with a session: %d %s", status, body)
	}
	spoofed := http.Header{"Remote-Email": {"boss@example.com"}, "Remote_User": {"boss@example.com"}, "Authorization": {"Bearer ag_abcdefghijklmnop_qrstuvwxyz0123456789ABCDEFGHIJ"}}
	if status, _, body := b.do(http.MethodGet, "/elsewhere", spoofed, nil); status != http.StatusOK || string(body) != "hello " {
		t.Fatalf("the unprotected part: %d %q, want the upstream with no identity", status, body)
	}
	seen, _ := up.lastHeaders()
	if seen.Get("Remote_User") != "" || seen.Get("Authorization") != "" || strings.Contains(seen.Get("Cookie"), "authgate") {
		t.Fatalf("the unprotected part reached the upstream with %v", seen)
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
