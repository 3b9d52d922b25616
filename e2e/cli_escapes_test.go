package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCLITablesPrintNoTerminalEscapes has a signed-in user request paths
// that decode to terminal escape sequences and line breaks: the access
// events keep them, and `caddy authgate audit` must show them without
// handing the administrator's terminal a control character (a title
// change, a cleared screen, a forged row).
func TestCLITablesPrintNoTerminalEscapes(t *testing.T) {
	g := accessEventsGate(t)
	base := g.base
	phone := g.enroll("alice@example.com")
	alice := newBrowser(t, base)
	alice.login(phone, "alice@example.com")
	for _, p := range []string{"/a%1b]0;owned%07b", "/c%1b[2Jd", "/e%0a2099-01-01%2000:00:00%09login%09boss@example.com"} {
		if status, _, _ := alice.do(http.MethodGet, p, nil, nil); status != http.StatusOK {
			t.Fatalf("GET %s: %d", p, status)
		}
	}
	deadline := time.Now().Add(stepTimeout)
	var out string
	for {
		out = g.caddyCLI("audit", "--type", "access")
		if strings.Count(out, "path=") >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Count(out, "path=") < 3 {
		t.Fatalf("the audit table lacks the three accesses:\n%s", out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Errorf("the table has %d lines, want a header and three rows:\n%q", len(lines), out)
	}
	for _, r := range out {
		if r != '\n' && (r < 0x20 || r == 0x7f) {
			t.Fatalf("the audit table carries control character %U:\n%q", r, out)
		}
	}
	if !strings.Contains(out, `path=/c\x1b[2Jd`) {
		t.Errorf("the escape is not shown as \\x1b:\n%s", out)
	}
}

// accessEventsGate starts a gate on the memory store whose site emits an
// access event for every granted request.
func accessEventsGate(t *testing.T) *gate {
	t.Helper()
	return startGateWith(t, storeLine(""), newUpstream(t), gateLines{directive: "access_events"})
}

// TestAccessEventsBoundTheirPath has a signed-in user request a path of
// 12 KB: the access event (in the audit trail, which keeps 100,000
// entries, and in webhooks) keeps a bounded start of it, so one user
// cannot make every entry weigh what the request's head may.
func TestAccessEventsBoundTheirPath(t *testing.T) {
	g := accessEventsGate(t)
	phone := g.enroll("alice@example.com")
	alice := newBrowser(t, g.base)
	alice.login(phone, "alice@example.com")
	// Caddy's own limit on the request's head is 16 KB by default.
	long := "/" + strings.Repeat("a", 12<<10)
	if status, _, _ := alice.do(http.MethodGet, long, nil, nil); status != http.StatusOK {
		t.Fatalf("GET of a 12 KB path: %d", status)
	}
	var page struct {
		Entries []struct {
			Data map[string]any
		}
	}
	deadline := time.Now().Add(stepTimeout)
	for len(page.Entries) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		g.adminDo(http.MethodGet, "/authgate/audit?type=access", &page)
	}
	if len(page.Entries) != 1 {
		t.Fatalf("%d access entries, want 1", len(page.Entries))
	}
	path, _ := page.Entries[0].Data["path"].(string)
	if len(path) > 2048 || !strings.HasPrefix(path, "/aaaa") {
		t.Fatalf("the access entry keeps a path of %d bytes (%.20q…), want its start, at most 2 KB", len(path), path)
	}
}
