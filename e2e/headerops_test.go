package e2e

import (
	"net/http"
	"strings"
	"testing"
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
