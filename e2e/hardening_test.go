package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/internal/testenv"
)

// startWith posts to /auth/start with a return URL and returns the status.
func (b *browser) startWith(email, rd string) (int, []byte) {
	b.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "rd": rd})
	status, _, data := b.do(http.MethodPost, "/.authgate/auth/start", http.Header{"Content-Type": {"application/json"}}, body)
	return status, data
}

// TestReturnURLsMustMatchTheSitesSchemeHostAndPort starts logins with the
// return URLs of the report against an http site with a cookie domain:
// another scheme, another port, or a cookie-domain host on another port
// are refused; the site's own origin and a cookie-domain host with the
// site's scheme and port are accepted and followed after approval.
func TestReturnURLsMustMatchTheSitesSchemeHostAndPort(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		up := newUpstream(t)
		port, admin := testenv.FreePort(t), fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
		site := fmt.Sprintf("http://app.localhost:%d", port)
		caddyfile := fmt.Sprintf(`{
	admin %s
	auto_https off
	authgate {
		%s
		signing_key %s
		cookie_domain localhost
		public_url http://127.0.0.1:%d
	}
}

http://app.localhost:%d, http://a.localhost:%d, http://127.0.0.1:%d {
	authgate {
		app_id e2e
	}
	reverse_proxy %s
}
`, admin, storeOpt, testSigningKey, port, port, port, port, strings.TrimPrefix(up.URL, "http://"))
		c := testenv.StartCaddy(t, caddyBin, caddyfile, admin, fmt.Sprintf("http://127.0.0.1:%d/.authgate/healthz", port))
		g := &gate{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), caddy: c}
		dev := g.enroll("rd@example.com")
		b := newBrowser(t, site)
		b.http.Transport = loopbackTransport(port)

		for _, rd := range []string{
			fmt.Sprintf("HTTPS://APP.LOCALHOST:%d/x", port),
			"HTTPS://APP.LOCALHOST:8443/x",
			"http://app.localhost:1/x",
			"http://app.localhost/x",
			"https://app.localhost/x",
			"http://a.localhost:1/",
			fmt.Sprintf("https://a.localhost:%d/", port),
			fmt.Sprintf("http://evil.example:%d/", port),
			"//evil.example/",
		} {
			status, body := b.startWith("rd@example.com", rd)
			if status != http.StatusBadRequest {
				t.Errorf("rd=%s: %d %s, want 400", rd, status, body)
			}
		}
		for _, rd := range []string{site + "/x?y=1", fmt.Sprintf("http://a.localhost:%d/sso", port)} {
			status, body := b.startWith("rd@example.com", rd)
			if status != http.StatusOK {
				t.Fatalf("rd=%s: %d %s, want 200", rd, status, body)
			}
			var s started
			_ = json.Unmarshal(body, &s)
			approve(t, dev, s)
			st, redirect, _ := b.check(s.SessionID)
			if st != "approved" || redirect != rd {
				t.Fatalf("rd=%s: after approval %q, redirect %q", rd, st, redirect)
			}
		}
	})
}

// loopbackTransport sends every request to 127.0.0.1:port whatever its
// host name, so tests can use names under a cookie domain.
func loopbackTransport(port int) *http.Transport {
	return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", port))
	}}
}

// rawRequest writes a request line and headers by hand, so the path
// reaches Caddy exactly as written, and returns the status code.
func rawRequest(t *testing.T, addr, method, target string, headers ...string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := method + " " + target + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestPublicPathsCannotSmuggleAPrivateOne sends the path forms that
// Tomcat- and Spring-style upstreams resolve outside a public prefix and
// checks none reaches the upstream without a login, while the plain
// public path still does and identity headers stay stripped there.
func TestPublicPathsCannotSmuggleAPrivateOne(t *testing.T) {
	up := newUpstream(t)
	port, admin := testenv.FreePort(t), fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	caddyfile := fmt.Sprintf(`{
	admin %s
	auto_https off
	authgate {
		store memory
		signing_key %s
	}
}

http://%s {
	authgate {
		app_id e2e
		public /public/
	}
	reverse_proxy %s
}
`, admin, testSigningKey, addr, strings.TrimPrefix(up.URL, "http://"))
	testenv.StartCaddy(t, caddyBin, caddyfile, admin, "http://"+addr+"/.authgate/healthz")

	if status := rawRequest(t, addr, "GET", "/public/ok.css", "Remote-User: admin@example.com"); status != http.StatusOK {
		t.Fatalf("plain public path: %d", status)
	}
	if h, _ := up.lastHeaders(); h.Get("Remote-User") != "" {
		t.Fatalf("a spoofed Remote-User reached the upstream on a public path: %q", h.Get("Remote-User"))
	}
	if status := rawRequest(t, addr, "GET", "/public/caf%C3%A9-%E6%97%A5%E6%9C%AC.css", ""); status != http.StatusOK {
		t.Fatalf("a public path with non-ASCII letters: %d, want 200", status)
	}
	for _, target := range []string{
		"/public/..;/private",
		"/public/..;jsessionid=x/private",
		"/public;/../private",
		"/public/%2e%2e/private",
		"/public/%2E%2E/private",
		"/public/..%2fprivate",
		"/public/..%2Fprivate",
		"/public/..%5cprivate",
		"/public/%252e%252e/private",
		"/public/%252e%252e%252fprivate",
		"/public/.%2e/private",
		"/public/x%3b/../../private",
		// Overlong UTF-8 and full-width dots and slashes, which servers
		// that fold paths (NFKC, lenient decoders) read as "." and "/".
		"/public/%c0%ae%c0%ae/private",
		"/public/..%c0%afprivate",
		"/public/%ef%bc%8e%ef%bc%8e/private",
		"/public/..%ef%bc%8fprivate",
	} {
		_, before := up.lastHeaders()
		status := rawRequest(t, addr, "GET", target, "Accept: application/json")
		_, after := up.lastHeaders()
		if after != before || (status != http.StatusUnauthorized && status != http.StatusBadRequest) {
			t.Errorf("%s: %d, upstream hits %d→%d; want 401 (or 400) and no upstream call", target, status, before, after)
		}
	}
}

// TestAStalledBodyIsAnswered408WithoutHoldingOthers opens a start request
// that announces a body and sends only part of it: the gate answers 408
// within seconds, and a normal login meanwhile is not slowed.
func TestAStalledBodyIsAnswered408WithoutHoldingOthers(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	addr := strings.TrimPrefix(g.base, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	began := time.Now()
	_, err = conn.Write([]byte("POST /.authgate/auth/start HTTP/1.1\r\nHost: " + addr +
		"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":"))
	if err != nil {
		t.Fatal(err)
	}
	// Meanwhile, another browser signs in at once.
	dev := g.enroll("quick@example.com")
	other := time.Now()
	newBrowser(t, g.base).login(dev, "quick@example.com")
	if d := time.Since(other); d > 3*time.Second {
		t.Fatalf("a login beside the stalled body took %v", d)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the stalled body within 20 s: %v", err)
	}
	resp.Body.Close()
	waited := time.Since(began)
	if resp.StatusCode != http.StatusRequestTimeout || waited > 15*time.Second {
		t.Fatalf("stalled body: %d after %v, want 408 within 15 s", resp.StatusCode, waited)
	}
	t.Logf("stalled body answered %d after %v", resp.StatusCode, waited.Round(time.Millisecond))
}

// TestHTTPSBindsTheLoginWithAHostCookieAndNeverDowngrades runs the gate on
// HTTPS: the binding cookie is __Host- prefixed (Secure, Path=/), gate
// pages send Cross-Origin-Opener-Policy, an http return URL is refused,
// and after login the upstream sees neither gateway cookie.
func TestHTTPSBindsTheLoginWithAHostCookieAndNeverDowngrades(t *testing.T) {
	up := newUpstream(t)
	port, admin := testenv.FreePort(t), fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	site := fmt.Sprintf("https://localhost:%d", port)
	caddyfile := fmt.Sprintf(`{
	admin %s
	local_certs
	skip_install_trust
	authgate {
		store memory
		signing_key %s
		public_url %s
	}
}

%s {
	tls internal
	authgate {
		app_id e2e
	}
	reverse_proxy %s
}
`, admin, testSigningKey, site, site, strings.TrimPrefix(up.URL, "http://"))
	insecure := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // Caddy's own test CA
	c := startCaddyTLS(t, caddyfile, admin, site+"/.authgate/healthz", insecure)
	var link struct{ Link string }
	if st := postJSON(t, c.Admin+"/authgate/enroll", map[string]string{"email": "tls@example.com"}, &link); st != http.StatusOK {
		t.Fatalf("enrolment link: %d", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dev, err := deviceclient.Enroll(ctx, &http.Client{Transport: insecure}, link.Link, "TLS phone")
	if err != nil {
		t.Fatalf("enrolling over HTTPS: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: site, http: &http.Client{Jar: jar, Transport: insecure, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

	for _, rd := range []string{fmt.Sprintf("http://localhost:%d/x", port), "http://localhost/x"} {
		if status, body := b.startWith("tls@example.com", rd); status != http.StatusBadRequest {
			t.Errorf("downgrade rd=%s: %d %s, want 400", rd, status, body)
		}
	}
	body, _ := json.Marshal(map[string]string{"email": "tls@example.com", "rd": site + "/private"})
	status, h, data := b.do(http.MethodPost, "/.authgate/auth/start", http.Header{"Content-Type": {"application/json"}}, body)
	if status != http.StatusOK {
		t.Fatalf("start: %d %s", status, data)
	}
	var bind *http.Cookie
	for _, ck := range (&http.Response{Header: h}).Cookies() {
		if strings.Contains(ck.Name, "authgate_bind") {
			bind = ck
		}
	}
	if bind == nil || bind.Name != "__Host-authgate_bind" || !bind.Secure || bind.Path != "/" || bind.Domain != "" ||
		!bind.HttpOnly || bind.SameSite != http.SameSiteStrictMode {
		t.Fatalf("binding cookie %+v; want __Host-authgate_bind, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain", bind)
	}
	var s started
	_ = json.Unmarshal(data, &s)
	approve(t, dev, s)
	if st, redirect, _ := b.check(s.SessionID); st != "approved" || redirect != site+"/private" {
		t.Fatalf("check: %q %q", st, redirect)
	}
	if status, _, _ := b.do(http.MethodGet, "/private", nil, nil); status != http.StatusOK {
		t.Fatalf("after login: %d", status)
	}
	seen, _ := up.lastHeaders()
	if ck := seen.Get("Cookie"); strings.Contains(ck, "authgate") {
		t.Fatalf("the upstream received a gateway cookie: %q", ck)
	}
	_, ph, _ := b.do(http.MethodGet, "/.authgate/login", http.Header{"Accept": {"text/html"}}, nil)
	if ph.Get("Cross-Origin-Opener-Policy") != "same-origin" {
		t.Fatalf("gate page Cross-Origin-Opener-Policy %q", ph.Get("Cross-Origin-Opener-Policy"))
	}
}

// startCaddyTLS starts Caddy and waits for an HTTPS ready URL with the
// given transport (testenv's readiness check speaks plain HTTP only).
func startCaddyTLS(t *testing.T, caddyfile, admin, readyURL string, tr *http.Transport) *testenv.Caddy {
	t.Helper()
	c := testenv.StartCaddy(t, caddyBin, caddyfile, admin, "http://"+admin+"/config/")
	client := &http.Client{Transport: tr, Timeout: 2 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := client.Get(readyURL); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return c
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer:\n%s", readyURL, c.Log())
	return nil
}

// approve has the device approve the login with the number the browser
// was shown.
func approve(t *testing.T, dev *deviceclient.Client, s started) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := dev.WaitPending(ctx, 20*time.Millisecond); err != nil {
		t.Fatalf("waiting for the push: %v", err)
	}
	if status, err := dev.Decide(ctx, s.SessionID, "approve", s.Code); err != nil || status != "approved" {
		t.Fatalf("approve: %q %v", status, err)
	}
}
