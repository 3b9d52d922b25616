package e2e

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHeaderRewritesAfterTheGateChangeOneHeaderOfOneRequest: Caddy's
// request_header replaces text inside header values in place. A rewrite
// of Remote-User after the gate (on /short/ only) changes Remote-User of
// that request only: not Remote-Email beside it, and not the headers of
// the same user's next requests elsewhere (by session cookie or by API
// key).
func TestHeaderRewritesAfterTheGateChangeOneHeaderOfOneRequest(t *testing.T) {
	up := newUpstream(t)
	g := startGateWith(t, storeLine(""), up, gateLines{site: `request_header /short/* Remote-User "@example.com" ""`})
	base := g.base
	dev := g.enroll("rita@example.com")
	b := newBrowser(t, base)
	b.login(dev, "rita@example.com")
	key := b.createKeyHTTP("cron", "7d")

	for _, via := range []string{"cookie", "key"} {
		for i, path := range []string{"/short/x", "/private", "/short/y", "/private"} {
			var status int
			if via == "key" {
				status, _ = script(t).withKey(base+path, key)
			} else {
				status, _, _ = b.do(http.MethodGet, path, http.Header{"Accept": {"application/json"}}, nil)
			}
			h, _ := up.lastHeaders()
			user := "rita@example.com"
			if strings.HasPrefix(path, "/short/") {
				user = "rita"
			}
			if status != http.StatusOK || h.Get("Remote-User") != user || h.Get("Remote-Email") != "rita@example.com" {
				t.Errorf("by %s, request %d to %s: %d, Remote-User %q, Remote-Email %q; want %q and rita@example.com",
					via, i+1, path, status, h.Get("Remote-User"), h.Get("Remote-Email"), user)
			}
		}
	}
}

// TestAClientCannotHaveTheIdentityHeadersDroppedAsHopByHop: a proxy drops
// the headers a request's Connection header names. A signed-in client
// that names the identity headers there (by cookie or by API key) still
// has them reach the upstream, set by the gateway, and the other names
// it lists still count.
func TestAClientCannotHaveTheIdentityHeadersDroppedAsHopByHop(t *testing.T) {
	up := newUpstream(t)
	g := startGate(t, storeLine(""), up, "")
	addr := strings.TrimPrefix(g.base, "http://")
	dev := g.enroll("hop@example.com")
	b := newBrowser(t, g.base)
	b.login(dev, "hop@example.com")
	key := b.createKeyHTTP("cron", "7d")

	for via, credential := range map[string]string{
		"cookie": "Cookie: authgate_session=" + b.sessionCookie(),
		"key":    "Authorization: Bearer " + key,
	} {
		status := rawRequest(t, addr, "GET", "/private", "Accept: application/json", credential,
			"X-Drop-Me: 1", "Connection: keep-alive, Remote-User, remote_email, X-Drop-Me",
			"Connection: Remote-Groups, X-Authgate-Session, X-Authgate-Key")
		h, _ := up.lastHeaders()
		id := h.Get("X-Authgate-Session") + h.Get("X-Authgate-Key")
		if status != http.StatusOK || h.Get("Remote-User") != "hop@example.com" || h.Get("Remote-Email") != "hop@example.com" ||
			h["Remote-Groups"] == nil || id == "" {
			t.Errorf("by %s: %d, the upstream got Remote-User %q, Remote-Email %q, Remote-Groups %q, id %q; want the gateway's",
				via, status, h.Get("Remote-User"), h.Get("Remote-Email"), h["Remote-Groups"], id)
		}
		if h.Get("X-Drop-Me") != "" {
			t.Errorf("by %s: X-Drop-Me, named in Connection, reached the upstream", via)
		}
	}
}

// rawChunked sends a POST with a chunked body and the trailers after it,
// declared in a Trailer header, and returns the status code.
func rawChunked(t *testing.T, addr, target string, trailers []string, headers ...string) int {
	t.Helper()
	names := make([]string, len(trailers))
	for i, tr := range trailers {
		names[i], _, _ = strings.Cut(tr, ":")
	}
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "POST " + target + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n" +
		"Trailer: " + strings.Join(names, ", ") + "\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	req += "\r\n5\r\nhello\r\n0\r\n"
	for _, tr := range trailers {
		req += tr + "\r\n"
	}
	if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestIdentityHeadersSentAsTrailersNeverReachTheUpstream: Caddy forwards
// the trailers a client declares after a chunked body, and some
// upstreams merge trailers into the headers. Identity headers sent as
// trailers are removed on a public path (no login at all), on a
// protected one and with an API key, while other trailers still arrive.
func TestIdentityHeadersSentAsTrailersNeverReachTheUpstream(t *testing.T) {
	up := newUpstream(t)
	g := startGateWith(t, storeLine(""), up, gateLines{directive: "public /public/"})
	addr := strings.TrimPrefix(g.base, "http://")
	dev := g.enroll("trailer@example.com")
	b := newBrowser(t, g.base)
	b.login(dev, "trailer@example.com")
	key := b.createKeyHTTP("cron", "7d")
	trailers := []string{"Remote-User: admin@example.com", "Remote_Groups: admin", "X-Authgate-Session: forged",
		"X-Checksum: abc"}

	for _, tc := range []struct{ via, path, credential string }{
		{"nothing", "/public/form", "X-None: 1"},
		{"cookie", "/private", "Cookie: authgate_session=" + b.sessionCookie()},
		{"key", "/private", "Authorization: Bearer " + key},
	} {
		_, before := up.lastHeaders()
		status := rawChunked(t, addr, tc.path, trailers, "Accept: application/json", tc.credential)
		_, after := up.lastHeaders()
		tr := up.lastTrailer()
		if status != http.StatusOK || after != before+1 {
			t.Fatalf("by %s to %s: %d, upstream hits %d→%d; want 200 and one", tc.via, tc.path, status, before, after)
		}
		for name := range tr {
			if strings.HasPrefix(strings.ToLower(name), "remote") || strings.HasPrefix(strings.ToLower(name), "x-authgate") {
				t.Errorf("by %s to %s: the trailer %s: %q reached the upstream", tc.via, tc.path, name, tr[name])
			}
		}
		if tr.Get("X-Checksum") != "abc" {
			t.Errorf("by %s to %s: the X-Checksum trailer was lost: %v", tc.via, tc.path, tr)
		}
	}
}
