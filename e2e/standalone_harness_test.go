package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/internal/testenv"
)

// Keys of the standalone gate under test.
const (
	myAppSecret    = "my-app-secret-0123456789abcdef"
	otherAppSecret = "other-app-secret-0123456789abc"
	gateAdminKey   = "gate-admin-key-0123456789abcdef"
)

// guidePath returns the path of a file of the guide's testdata.
func guidePath(name string) string { return filepath.Join("testdata", "guide", name) }

// guideFile returns a file of the guide's testdata.
func guideFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(guidePath(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startStandalone runs a Caddy whose one site is a standalone gate
// (authgate_server) serving the apps my-app (browser origins myOrigins)
// and other-app; globalExtra goes into the global authgate block.
func startStandalone(t *testing.T, storeOpt string, myOrigins []string, globalExtra string) *gate {
	t.Helper()
	port := testenv.FreePort(t)
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	origins := ""
	if len(myOrigins) > 0 {
		origins = "origins " + strings.Join(myOrigins, " ")
	}
	caddyfile := fmt.Sprintf(`{
	admin %s
	auto_https off
	authgate {
		%s
		signing_key %s
		public_url %s
		%s
	}
}

%s {
	authgate_server {
		admin_key %s
		allow_private_webhooks
		app my-app {
			%s
			secret %s
		}
		app other-app {
			secret %s
		}
	}
}
`, admin, storeOpt, testSigningKey, base, globalExtra, base, gateAdminKey, origins, myAppSecret, otherAppSecret)
	c := testenv.StartCaddy(t, caddyBin, caddyfile, admin, base+"/.authgate/healthz")
	return &gate{t: t, base: base, caddy: c}
}

// apiStarted is the guide's answer to POST /auth/start.
type apiStarted struct {
	SessionID string `json:"session_id"`
	Code      int    `json:"code"`
	ExpiresIn int    `json:"expires_in"`
}

// loginID is the login id part of a session handle.
func (s apiStarted) loginID() string { id, _, _ := strings.Cut(s.SessionID, "."); return id }

// apiChecked is the guide's answer to GET /auth/check/{id}.
type apiChecked struct {
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	Token     string `json:"token"`
	ExpiresIn int    `json:"expires_in"`
}

// apiCall sends a request to the standalone gate and decodes its JSON
// answer into out; it returns the status and headers.
func apiCall(t *testing.T, method, url string, header http.Header, body string, out any) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, url, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, resp.Header
}

// apiStart starts a login for app as an API client would.
func apiStart(t *testing.T, g *gate, app, email string) apiStarted {
	t.Helper()
	var s apiStarted
	body, _ := json.Marshal(map[string]string{"app_id": app, "email": email})
	if status, _ := apiCall(t, http.MethodPost, g.base+"/auth/start", nil, string(body), &s); status != http.StatusOK {
		t.Fatalf("start for %s: %d", app, status)
	}
	return s
}

// decide waits for the login on dev and answers it.
func decide(t *testing.T, dev *deviceclient.Client, s apiStarted, decision string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := dev.WaitPending(ctx, 20*time.Millisecond)
	if err != nil {
		t.Fatalf("waiting for the push: %v", err)
	}
	if p.SessionID != s.loginID() {
		t.Fatalf("the phone sees login %q, the client started %q", p.SessionID, s.SessionID)
	}
	number := s.Code
	if decision != "approve" {
		number = 0
	}
	if _, err := dev.Decide(ctx, p.SessionID, decision, number); err != nil {
		t.Fatalf("%s: %v", decision, err)
	}
}

// apiLogin runs a login of app to its end: approved and collected (the
// token returned), or denied.
func apiLogin(t *testing.T, g *gate, dev *deviceclient.Client, app, email, decision string) string {
	t.Helper()
	s := apiStart(t, g, app, email)
	decide(t, dev, s, decision)
	var c apiChecked
	apiCall(t, http.MethodGet, g.base+"/auth/check/"+s.SessionID, nil, "", &c)
	want := map[string]string{"approve": "approved", "deny": "denied"}[decision]
	if c.Status != want || (want == "approved") != (c.Token != "") {
		t.Fatalf("check after %s: %+v", decision, c)
	}
	return c.Token
}

// process is a program under test whose stdout lines are kept.
type process struct {
	t     *testing.T
	name  string
	mu    sync.Mutex
	lines []string
	first chan string
}

// startProcess runs bin with args and env; its first stdout line is
// returned (a port), the rest is kept for waitLine. It is killed when the
// test ends.
func startProcess(t *testing.T, env []string, bin string, args ...string) (*process, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	p := &process{t: t, name: filepath.Base(args[len(args)-1]), first: make(chan string, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		first := true
		for sc.Scan() {
			if first {
				p.first <- strings.TrimSpace(sc.Text())
				first = false
				continue
			}
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		if first {
			close(p.first)
		}
	}()
	select {
	case port, ok := <-p.first:
		if !ok || port == "" {
			t.Fatalf("%s exited without printing its port", p.name)
		}
		return p, port
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not print its port in 30 s", p.name)
	}
	return nil, ""
}

// output returns the lines printed after the port.
func (p *process) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// waitLine waits until the process printed want.
func (p *process) waitLine(want string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range p.output() {
			if l == want {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("%s never printed %q; it printed %q", p.name, want, p.output())
}

// pythonWith returns a python3 that imports modules: the one on PATH, or
// the system's (Debian's packages live there), skipping the test (failing
// under CI) when neither does.
func pythonWith(t *testing.T, modules string) string {
	t.Helper()
	var tried []string
	for _, cand := range []string{"python3", "/usr/bin/python3"} {
		bin, err := exec.LookPath(cand)
		if err != nil {
			continue
		}
		tried = append(tried, bin)
		if exec.Command(bin, "-c", "import "+modules).Run() == nil {
			return bin
		}
	}
	if testenv.InCI() {
		t.Fatalf("no python3 imports %s (tried %v); CI must install python3-fastapi and python3-uvicorn", modules, tried)
	}
	t.Skipf("no python3 imports %s (tried %v): apt-get install python3-fastapi python3-uvicorn", modules, tried)
	return ""
}

// requireExpress returns node, skipping (failing under CI) when node or
// the guide's npm packages (scripts/test installs them) are missing.
func requireExpress(t *testing.T) string {
	t.Helper()
	node := testenv.Require(t, "node")
	if _, err := os.Stat(guidePath(filepath.Join("node_modules", "express", "package.json"))); err != nil {
		if testenv.InCI() {
			t.Fatalf("express is not installed in %s; scripts/test runs npm ci there", guidePath(""))
		}
		t.Skipf("express is not installed: (cd %s && npm ci)", guidePath(""))
	}
	return node
}
