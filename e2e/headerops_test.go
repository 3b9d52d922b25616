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
