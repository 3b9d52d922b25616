package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// runCLI runs `caddy authgate args…` against the gate's admin endpoint
// and returns its standard output, standard error and exit code.
func (g *gate) runCLI(args ...string) (stdout, stderr string, code int) {
	g.t.Helper()
	args = append(args, "--address", strings.TrimPrefix(g.caddy.Admin, "http://"))
	return runCLIIn(g.t, g.t.TempDir(), []string{"TZ=Europe/Paris"}, args...)
}

// localTime matches a table's time: local date, time and zone (the
// command runs with TZ=Europe/Paris).
var localTime = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d (CET|CEST)`)

// TestCLIListsInWordsAndJSON checks each list command's table and its
// --json form, with a user who has a phone and a session.
func TestCLIListsInWordsAndJSON(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	dev := g.enroll("alice@example.com")
	newBrowser(t, g.base).login(dev, "alice@example.com")

	out, _, code := g.runCLI("users")
	if code != 0 || !strings.Contains(out, "EMAIL") || !strings.Contains(out, "alice@example.com") ||
		!strings.Contains(out, "signed in") || !strings.Contains(out, "Test phone") || !localTime.MatchString(out) {
		t.Errorf("users (exit %d):\n%s", code, out)
	}
	out, _, code = g.runCLI("users", "--json")
	var users struct {
		Users []struct {
			Email    string            `json:"email"`
			State    string            `json:"state"`
			Devices  []json.RawMessage `json:"devices"`
			Sessions []json.RawMessage `json:"sessions"`
		} `json:"users"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &users) != nil || len(users.Users) != 1 ||
		users.Users[0].Email != "alice@example.com" || users.Users[0].State != "signed in" ||
		len(users.Users[0].Devices) != 1 || len(users.Users[0].Sessions) != 1 {
		t.Errorf("users --json (exit %d):\n%s", code, out)
	}

	out, _, code = g.runCLI("devices", "alice@example.com")
	if code != 0 || !strings.Contains(out, "NAME") || !strings.Contains(out, dev.DeviceID) || !localTime.MatchString(out) {
		t.Errorf("devices (exit %d):\n%s", code, out)
	}
	out, _, code = g.runCLI("devices", "alice@example.com", "--json")
	var devices struct {
		Email   string `json:"email"`
		Devices []struct {
			ID string `json:"id"`
		} `json:"devices"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &devices) != nil || len(devices.Devices) != 1 || devices.Devices[0].ID != dev.DeviceID {
		t.Errorf("devices --json (exit %d):\n%s", code, out)
	}

	out, _, code = g.runCLI("sessions", "alice@example.com")
	if code != 0 || !strings.Contains(out, "BROWSER") || !strings.Contains(out, "127.0.0.1") || !localTime.MatchString(out) {
		t.Errorf("sessions (exit %d):\n%s", code, out)
	}
	out, _, code = g.runCLI("sessions", "alice@example.com", "--json")
	var sessions struct {
		Sessions []struct {
			ID       string `json:"id"`
			ClientIP string `json:"client_ip"`
		} `json:"sessions"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &sessions) != nil || len(sessions.Sessions) != 1 || sessions.Sessions[0].ClientIP != "127.0.0.1" {
		t.Errorf("sessions --json (exit %d):\n%s", code, out)
	}
	out, _, _ = g.runCLI("sessions", "nobody@example.com")
	if strings.TrimSpace(out) != "nobody@example.com has no live session." {
		t.Errorf("sessions of nobody: %q", out)
	}

	out, _, code = g.runCLI("webhooks", "list")
	if code != 0 || strings.TrimSpace(out) != "No webhook receiver is configured." {
		t.Errorf("webhooks list (exit %d):\n%s", code, out)
	}
	out, _, code = g.runCLI("webhooks", "list", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("webhooks list --json (exit %d):\n%s", code, out)
	}
}

// TestCLIErrorsNameTheThing checks that errors say what is missing, not
// how the store spells it.
func TestCLIErrorsNameTheThing(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	_, errOut, code := g.runCLI("revoke", "device", "dev_nope")
	if code == 0 || !strings.Contains(errOut, "no such device dev_nope") || strings.Contains(errOut, "store:") || strings.Contains(errOut, "HTTP 404") {
		t.Errorf("revoke an unknown device (exit %d): %s", code, errOut)
	}
	_, errOut, code = g.runCLI("revoke", "key", "nope")
	if code == 0 || !strings.Contains(errOut, "no such API key nope") || strings.Contains(errOut, "store:") {
		t.Errorf("revoke an unknown API key (exit %d): %s", code, errOut)
	}
	// A session id is revoked even when no record of it is left (the
	// store may have lost it while its cookie still works), and the
	// answer says so in words.
	out, errOut, code := g.runCLI("revoke", "session", "nope")
	if code != 0 || !strings.Contains(out+errOut, "no record of this session") || strings.Contains(out+errOut, "store:") {
		t.Errorf("revoke an unknown session (exit %d): %s %s", code, out, errOut)
	}
	_, errOut, code = g.runCLI("devices", "not-an-email")
	if code == 0 || !strings.Contains(errOut, "not a valid email address") || strings.Contains(errOut, `{"error"`) {
		t.Errorf("devices of a malformed email (exit %d): %s", code, errOut)
	}
	_, errOut, code = g.runCLI("unblock", "not-an-email")
	if code == 0 || strings.Count(errOut, "unblocking") != 1 || !strings.Contains(errOut, "not a valid email address") {
		t.Errorf("unblock a malformed email (exit %d): %s", code, errOut)
	}
	_, errOut, code = g.runCLI("audit", "--limit", "-3")
	if code == 0 || !strings.Contains(errOut, "limit") {
		t.Errorf("audit --limit -3 (exit %d): %s", code, errOut)
	}
	_, errOut, code = g.runCLI("keys", "revoke", "nosuch")
	if code == 0 || !strings.Contains(errOut, "no such API key nosuch") || strings.Contains(errOut, "store:") {
		t.Errorf("revoke an unknown API key (exit %d): %s", code, errOut)
	}
	// A mistyped command is an error that names it, not the help and
	// success.
	for _, tc := range []struct{ args, want []string }{
		{[]string{"enrol", "alice@example.com"}, []string{`unknown command "enrol"`, "enroll"}},
		{[]string{"keys", "lst"}, []string{`unknown command "lst"`, "list"}},
		{[]string{"webhooks", "lst"}, []string{`unknown command "lst"`, "list"}},
	} {
		out, errOut, code := g.runCLI(tc.args...)
		for _, w := range tc.want {
			if code == 0 || !strings.Contains(errOut, w) {
				t.Errorf("%v (exit %d) lacks %q: %s %s", tc.args, code, w, out, errOut)
			}
		}
	}
	cmd := exec.Command(caddyBin, "authgate", "users", "--address", "127.0.0.1:1")
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "cannot reach Caddy's admin endpoint") {
		t.Errorf("users with no Caddy running: %v %s", err, b)
	}
}

// TestCLIEnrollWarnsAndPrintsTheLinkUnindented checks the enrolment
// link's warnings: http:// on another host than localhost, a --base
// without a scheme, a host this Caddy does not serve.
func TestCLIEnrollWarnsAndPrintsTheLinkUnindented(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	out, errOut, code := g.runCLI("enroll", "alice@example.com", "--no-qr")
	if code != 0 || errOut != "" {
		t.Errorf("enroll on the served 127.0.0.1 (exit %d): stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, g.base+"/.authgate/app#enroll=") {
		t.Errorf("the link's line is %q, want it unindented", last)
	}
	_, errOut, code = g.runCLI("enroll", "alice@example.com", "--no-qr", "--base", "http://gate.example.com")
	if code != 0 || !strings.Contains(errOut, "http:// on gate.example.com") || !strings.Contains(errOut, "does not serve gate.example.com") {
		t.Errorf("enroll with an http:// base on another host (exit %d): %s", code, errOut)
	}
	out, errOut, code = g.runCLI("enroll", "alice@example.com", "--no-qr", "--base", "gate.example.com")
	if code != 0 || !strings.Contains(errOut, "has no scheme") || !strings.Contains(out, "https://gate.example.com/.authgate/app#enroll=") {
		t.Errorf("enroll with a bare base (exit %d): %s\n%s", code, errOut, out)
	}
}

// TestCLIStatusHealthyAndNot checks status against a store that answers
// and one that has gone away.
func TestCLIStatusHealthyAndNot(t *testing.T) {
	r := testenv.StartRedis(t)
	g := startGate(t, storeLine(r.URL(0)), newUpstream(t), "")
	out, _, code := g.runCLI("status")
	if code != 0 || !strings.Contains(out, "authgate        healthy") && !regexp.MustCompile(`authgate\s+healthy`).MatchString(out) ||
		!regexp.MustCompile(`store\s+ok \(redis redis://`).MatchString(out) || !regexp.MustCompile(`revocations\s+fresh`).MatchString(out) ||
		!regexp.MustCompile(`webhook outbox\s+0 waiting`).MatchString(out) || !regexp.MustCompile(`pushes\s+enabled`).MatchString(out) {
		t.Errorf("status of a healthy gate (exit %d):\n%s", code, out)
	}
	out, _, code = g.runCLI("status", "--json")
	var st struct {
		Healthy bool `json:"healthy"`
		Store   struct {
			Type      string `json:"type"`
			Reachable bool   `json:"reachable"`
		} `json:"store"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || !st.Healthy || st.Store.Type != "redis" || !st.Store.Reachable {
		t.Errorf("status --json of a healthy gate (exit %d):\n%s", code, out)
	}

	r.Stop()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, _, code = g.runCLI("status")
		if code != 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code != 1 || !regexp.MustCompile(`authgate\s+UNHEALTHY`).MatchString(out) || !regexp.MustCompile(`store\s+UNREACHABLE`).MatchString(out) {
		t.Errorf("status with Redis gone (exit %d):\n%s", code, out)
	}
	out, _, code = g.runCLI("status", "--json")
	if code != 1 || json.Unmarshal([]byte(out), &st) != nil || st.Healthy || st.Store.Reachable {
		t.Errorf("status --json with Redis gone (exit %d):\n%s", code, out)
	}
}

// TestCLIStatusNamesAFailingReceiver checks that status tells a failing
// webhook receiver from a healthy one, without calling the gate unhealthy.
func TestCLIStatusNamesAFailingReceiver(t *testing.T) {
	dead := fmt.Sprintf("http://127.0.0.1:%d/hook", testenv.FreePort(t))
	g := startGate(t, storeLine(""), newUpstream(t), webhookBlock(dead, ""))
	g.enroll("alice@example.com") // device_enrolled goes to the receiver
	deadline := time.Now().Add(15 * time.Second)
	var out string
	var code int
	for {
		out, _, code = g.runCLI("status")
		if strings.Contains(out, "failing") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code != 0 || !regexp.MustCompile(`authgate\s+healthy`).MatchString(out) || !strings.Contains(out, dead) ||
		!regexp.MustCompile(`failing: .*refused`).MatchString(out) {
		t.Errorf("status with a dead receiver (exit %d):\n%s", code, out)
	}
	t.Logf("status:\n%s", out)
}

// TestCLIEnrollWithoutABaseNamesTheFlag runs a gate with no public_url:
// enroll without --base says to give --base (or set public_url), in the
// command's own words.
func TestCLIEnrollWithoutABaseNamesTheFlag(t *testing.T) {
	port, admin := testenv.FreePort(t), fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	c := testenv.StartCaddy(t, caddyBin, fmt.Sprintf("{\n\tadmin %s\n\tauto_https off\n}\n%s {\n\tauthgate\n\trespond ok\n}\n", admin, base),
		admin, base+"/.authgate/healthz")
	g := &gate{t: t, base: base, caddy: c}
	_, errOut, code := g.runCLI("enroll", "alice@example.com", "--no-qr")
	if code == 0 || !strings.Contains(errOut, "--base") || !strings.Contains(errOut, "public_url") {
		t.Errorf("enroll without --base or public_url (exit %d): %s", code, errOut)
	}
}

// TestCLIWebhooksListSaysWhatAReceiverGetsByDefault: a receiver added
// without events gets every event but access, and the table says so
// rather than leaving the column empty.
func TestCLIWebhooksListSaysWhatAReceiverGetsByDefault(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	if _, errOut, code := g.runCLI("webhooks", "add", "http://127.0.0.1:9/hook"); code != 0 {
		t.Fatalf("webhooks add (exit %d): %s", code, errOut)
	}
	out, _, code := g.runCLI("webhooks", "list")
	if code != 0 || !regexp.MustCompile(`http://127\.0\.0\.1:9/hook\s+all but access\s`).MatchString(out) {
		t.Errorf("webhooks list (exit %d):\n%s", code, out)
	}
}

// TestCLIWebhooksEnableTurnsAGoneReceiverBackOn: a receiver that answered
// 410 Gone is disabled; `webhooks enable <id>` turns it back on, and the
// next ping reaches it. An unknown id is named.
func TestCLIWebhooksEnableTurnsAGoneReceiverBackOn(t *testing.T) {
	var gone atomic.Bool
	gone.Store(true)
	var pings atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if gone.Load() {
			w.WriteHeader(http.StatusGone)
			return
		}
		pings.Add(1)
	}))
	defer recv.Close()
	g := startGate(t, storeLine(""), newUpstream(t), "")
	out, errOut, code := g.runCLI("webhooks", "add", recv.URL, "--events", "ping")
	id := regexp.MustCompile(`id:\s+(\S+)`).FindStringSubmatch(out)
	if code != 0 || id == nil {
		t.Fatalf("webhooks add (exit %d): %s%s", code, out, errOut)
	}
	disabled := func() bool {
		out, _, _ := g.runCLI("webhooks", "list", "--json")
		var list []struct {
			ID       string `json:"id"`
			Disabled bool   `json:"disabled"`
		}
		_ = json.Unmarshal([]byte(out), &list)
		return len(list) == 1 && list[0].ID == id[1] && list[0].Disabled
	}
	if _, errOut, code := g.runCLI("webhooks", "ping", id[1]); code != 0 {
		t.Fatalf("webhooks ping (exit %d): %s", code, errOut)
	}
	for deadline := time.Now().Add(10 * time.Second); !disabled(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the receiver was not disabled by its 410")
		}
	}

	gone.Store(false)
	out, errOut, code = g.runCLI("webhooks", "enable", id[1])
	if code != 0 || !strings.Contains(out, id[1]+" enabled") {
		t.Fatalf("webhooks enable (exit %d): %s%s", code, out, errOut)
	}
	if disabled() {
		t.Fatal("webhooks list still shows the receiver disabled")
	}
	if _, errOut, code := g.runCLI("webhooks", "ping", id[1]); code != 0 {
		t.Fatalf("webhooks ping after enable (exit %d): %s", code, errOut)
	}
	for deadline := time.Now().Add(10 * time.Second); pings.Load() == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the ping after enable never reached the receiver")
		}
	}

	if _, errOut, code := g.runCLI("webhooks", "enable", "wh_nope"); code == 0 || !strings.Contains(errOut, "wh_nope") {
		t.Errorf("webhooks enable of an unknown receiver (exit %d): %s", code, errOut)
	}
}
