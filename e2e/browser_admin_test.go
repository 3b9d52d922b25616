package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// caddyCLI runs the built caddy's authgate subcommand against g's admin
// endpoint and returns its output.
func (g *gate) caddyCLI(args ...string) string {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The address goes first: an id after "--" may start with "-".
	args = append([]string{"authgate", "--address", strings.TrimPrefix(g.caddy.Admin, "http://")}, args...)
	out, err := exec.CommandContext(ctx, caddyBin, args...).CombinedOutput()
	if err != nil {
		g.t.Fatalf("caddy %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// adminDo sends a request to the admin API and decodes its answer.
func (g *gate) adminDo(method, path string, v any) int {
	g.t.Helper()
	req, _ := http.NewRequest(method, g.caddy.Admin+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			g.t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// TestAdminListsAndRevokesDevicesAndSessions drives the admin API and the
// `caddy authgate` subcommands against a running gate: a revoked session
// is refused at once, a revoked device can sign nothing more.
func TestAdminListsAndRevokesDevicesAndSessions(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	out := g.caddyCLI("enroll", "frank@example.com")
	if !strings.Contains(out, "/.authgate/app#enroll=") || !strings.Contains(out, "█") {
		t.Fatalf("enroll printed no link or no QR code:\n%s", out)
	}
	dev := g.enroll("frank@example.com")
	b := newBrowser(t, g.base)
	b.login(dev, "frank@example.com")

	var devices struct {
		Devices []struct{ ID, Name string }
	}
	if status := g.adminDo(http.MethodGet, "/authgate/devices?email=Frank@Example.com", &devices); status != http.StatusOK || len(devices.Devices) != 1 || devices.Devices[0].ID != dev.DeviceID {
		t.Fatalf("GET devices: %d %+v", status, devices)
	}
	var sessions struct {
		Sessions []struct{ ID, Browser string }
	}
	if status := g.adminDo(http.MethodGet, "/authgate/sessions?email=frank@example.com", &sessions); status != http.StatusOK || len(sessions.Sessions) != 1 {
		t.Fatalf("GET sessions: %d %+v", status, sessions)
	}
	if out := g.caddyCLI("devices", "frank@example.com"); !strings.Contains(out, dev.DeviceID) || !strings.Contains(out, "Test phone") {
		t.Fatalf("caddy authgate devices:\n%s", out)
	}
	sid := sessions.Sessions[0].ID
	if out := g.caddyCLI("sessions", "frank@example.com"); !strings.Contains(out, sid) || !strings.Contains(out, "Go client") {
		t.Fatalf("caddy authgate sessions:\n%s", out)
	}
	if status := g.adminDo(http.MethodGet, "/authgate/sessions?email=not-an-email", nil); status != http.StatusBadRequest {
		t.Fatalf("GET sessions with a malformed email: %d, want 400", status)
	}

	if out := g.caddyCLI("revoke", "session", "--", sid); !strings.Contains(out, "Revoked session "+sid) {
		t.Fatalf("caddy authgate revoke session:\n%s", out)
	}
	if status, h, _ := b.do(http.MethodGet, "/private?x=1", http.Header{"Accept": {"text/html"}}, nil); status != http.StatusFound || !strings.HasPrefix(h.Get("Location"), "/.authgate/login") {
		t.Fatalf("protected page after the session was revoked: %d %q", status, h.Get("Location"))
	}
	// The record is gone now; the id is revoked all the same, since a
	// store that lost a record must not leave its cookie working.
	var again struct{ ID, Note string }
	if status := g.adminDo(http.MethodDelete, "/authgate/sessions/"+sid, &again); status != http.StatusOK || again.ID != sid || again.Note == "" {
		t.Fatalf("revoking it again: %d %+v, want 200 with a note", status, again)
	}

	if out := g.caddyCLI("revoke", "device", dev.DeviceID); !strings.Contains(out, "Revoked device") {
		t.Fatalf("caddy authgate revoke device:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := dev.Pending(ctx); err == nil {
		t.Fatal("a revoked device is still served")
	}
	if out := g.caddyCLI("devices", "frank@example.com"); !strings.Contains(out, "no enrolled device") {
		t.Fatalf("devices after revocation:\n%s", out)
	}
}
