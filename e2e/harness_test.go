package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/internal/testenv"
)

// testSigningKey is the HS256 secret every test gateway signs with, so
// tests can forge tokens that differ in one claim only.
const testSigningKey = "e2e-test-signing-secret-0123456789abcdef"

// upstream is the protected app: it records the headers and the
// trailers of the last request it saw.
type upstream struct {
	*httptest.Server
	mu      sync.Mutex
	last    http.Header
	trailer http.Header
	hits    int
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the trailers arrive after it
		u.mu.Lock()
		u.last = r.Header.Clone()
		u.trailer = r.Trailer.Clone()
		u.hits++
		u.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello %s", r.Header.Get("Remote-Email"))
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) lastHeaders() (http.Header, int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last, u.hits
}

// lastTrailer returns the trailers of the last request the upstream saw.
func (u *upstream) lastTrailer() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.trailer
}

// gate is one running Caddy protecting the upstream.
type gate struct {
	t     testing.TB
	base  string // http://127.0.0.1:port
	caddy *testenv.Caddy
}

// storeLine returns the Caddyfile store option for a redis URL, or the
// memory store for "".
func storeLine(redisURL string) string {
	if redisURL == "" {
		return "store memory"
	}
	return "store redis " + redisURL
}

// startGate runs a Caddy with the authgate app using the given store line
// in front of up; extra holds more lines of the global authgate block.
func startGate(t *testing.T, storeOpt string, up *upstream, extra string) *gate {
	t.Helper()
	return startGateWith(t, storeOpt, up, gateLines{app: extra})
}

// gateLines are the lines a test adds to startGate's Caddyfile.
type gateLines struct {
	global    string // the global options block, outside authgate
	app       string // the global authgate block
	directive string // the site's authgate directive
	site      string // the site block, beside the directive
	matcher   string // the directive's matcher token, if any
}

// startGateWith is startGate with more lines where lines says.
func startGateWith(t testing.TB, storeOpt string, up *upstream, lines gateLines) *gate {
	t.Helper()
	port := testenv.FreePort(t)
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	appID := "app_id e2e" // unless the test names the app: an option is given once
	if strings.Contains(lines.directive, "app_id ") {
		appID = ""
	}
	caddyfile := fmt.Sprintf(`{
	admin %s
	auto_https off
	%s
	authgate {
		%s
		signing_key %s
		public_url %s
		revocation_max_staleness 3s
		%s
	}
}

%s {
	authgate %s {
		%s
		allow domain example.com
		%s
	}
	%s
	reverse_proxy %s
}
`, admin, lines.global, storeOpt, testSigningKey, base, lines.app, base, lines.matcher, appID, lines.directive, lines.site, strings.TrimPrefix(up.URL, "http://"))
	c := testenv.StartCaddy(t, caddyBin, caddyfile, admin, base+"/.authgate/healthz")
	return &gate{t: t, base: base, caddy: c}
}

// reload loads the running config again, as `caddy reload` does: Caddy
// starts it anew though it is unchanged.
func (g *gate) reload() {
	g.t.Helper()
	g.reloadWith(func(cfg []byte) []byte { return cfg })
}

// reloadWith loads the running config as change makes it.
func (g *gate) reloadWith(change func(cfg []byte) []byte) {
	g.t.Helper()
	resp, err := http.Get(g.caddy.Admin + "/config/")
	if err != nil {
		g.t.Fatal(err)
	}
	cfg := change(readAll(resp))
	req, _ := http.NewRequest(http.MethodPost, g.caddy.Admin+"/load", bytes.NewReader(cfg))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cache-Control", "must-revalidate")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("reload: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		g.t.Fatalf("reload: %d %s", resp.StatusCode, readAll(resp))
	}
}

// enroll makes an enrolment link through the admin API and enrols a Go
// device client with it.
func (g *gate) enroll(email string) *deviceclient.Client {
	g.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email})
	resp, err := http.Post(g.caddy.Admin+"/authgate/enroll", "application/json", bytes.NewReader(body))
	if err != nil {
		g.t.Fatalf("asking for an enrolment link: %v", err)
	}
	defer resp.Body.Close()
	var out struct{ Link string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		b, _ := io.ReadAll(resp.Body)
		g.t.Fatalf("enrol: %d %s", resp.StatusCode, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dev, err := deviceclient.Enroll(ctx, http.DefaultClient, out.Link, "Test phone")
	if err != nil {
		g.t.Fatalf("enrolling device: %v", err)
	}
	return dev
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	http *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, http: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request and returns the status, headers and body.
func (b *browser) do(method, path string, header http.Header, body []byte) (int, http.Header, []byte) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, bytes.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func (b *browser) getJSON(path string, v any) int {
	b.t.Helper()
	status, _, body := b.do(http.MethodGet, path, http.Header{"Accept": {"application/json"}}, nil)
	if v != nil && len(body) > 0 {
		if err := json.Unmarshal(body, v); err != nil {
			b.t.Fatalf("GET %s: %d, body not JSON: %s", path, status, body)
		}
	}
	return status
}

// started is the answer of /auth/start.
type started struct {
	SessionID string `json:"session_id"`
	Code      int    `json:"code"`
	ExpiresIn int    `json:"expires_in"`
}

// start begins a login for email and returns the answer.
func (b *browser) start(email string) started {
	b.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "app_id": "e2e", "rd": "/private?x=1"})
	status, _, data := b.do(http.MethodPost, "/.authgate/auth/start", http.Header{"Content-Type": {"application/json"}}, body)
	if status != http.StatusOK {
		b.t.Fatalf("start: %d %s", status, data)
	}
	var s started
	if err := json.Unmarshal(data, &s); err != nil {
		b.t.Fatalf("start body: %v: %s", err, data)
	}
	return s
}

// check polls the login's state once.
func (b *browser) check(id string) (string, string, http.Header) {
	b.t.Helper()
	status, h, data := b.do(http.MethodGet, "/.authgate/auth/check/"+id, http.Header{"Accept": {"application/json"}}, nil)
	var c struct {
		Status   string `json:"status"`
		Redirect string `json:"redirect"`
	}
	if status != http.StatusOK || json.Unmarshal(data, &c) != nil {
		b.t.Fatalf("check: %d %s", status, data)
	}
	return c.Status, c.Redirect, h
}

// sessionCookie returns the session cookie the browser holds, or "".
func (b *browser) sessionCookie() string {
	req, _ := http.NewRequest(http.MethodGet, b.base+"/", nil)
	for _, c := range b.http.Jar.Cookies(req.URL) {
		if c.Name == "authgate_session" {
			return c.Value
		}
	}
	return ""
}

// login runs the whole push-to-approve login for email with dev.
func (b *browser) login(dev *deviceclient.Client, email string) {
	b.t.Helper()
	s := b.start(email)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := dev.WaitPending(ctx, 20*time.Millisecond)
	if err != nil {
		b.t.Fatalf("waiting for the push: %v", err)
	}
	if p.SessionID != s.SessionID {
		b.t.Fatalf("device sees login %s, browser started %s", p.SessionID, s.SessionID)
	}
	if status, err := dev.Decide(ctx, s.SessionID, "approve", s.Code); err != nil || status != "approved" {
		b.t.Fatalf("approve: %q %v", status, err)
	}
	st, rd, _ := b.check(s.SessionID)
	if st != "approved" || rd != "/private?x=1" || b.sessionCookie() == "" {
		b.t.Fatalf("check after approval: status %q redirect %q cookie %q", st, rd, b.sessionCookie())
	}
}
