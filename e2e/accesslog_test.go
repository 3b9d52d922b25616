package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
)

// enrolLink finds the enrolment link a page shows.
var enrolLink = regexp.MustCompile(`href="(/\.authgate/app#enroll=[A-Za-z0-9_-]+)"`)

// TestNoSecretReachesCaddysAccessLog: with Caddy's access log on for the
// site and every logger at debug, a sign-in with a push, an API key, a
// recovery code and an access pass (which leads to a new phone's
// enrolment), a wrong key and a wrong code leave no cookie, key, code,
// pass or enrolment token in Caddy's output, response headers included.
func TestNoSecretReachesCaddysAccessLog(t *testing.T) {
	g := startGateWith(t, storeLine(""), newUpstream(t), gateLines{global: "debug", site: "log"})
	base, c := g.base, g.caddy
	link := g.enrollmentLink("lou@example.com")
	dev, err := deviceclient.Enroll(t.Context(), http.DefaultClient, link.Link, "Phone")
	if err != nil {
		t.Fatal(err)
	}
	_, linkToken, _ := strings.Cut(link.Link, "#enroll=")

	b := newBrowser(t, base)
	b.login(dev, "lou@example.com")
	key := b.createKeyHTTP("cron", "7d")
	if status, _ := script(t).withKey(base+"/private", key); status != http.StatusOK {
		t.Fatalf("the key: %d", status)
	}
	if status, loc, _ := newBrowser(t, base).codeForm(url.Values{"email": {"lou@example.com"}, "code": {dev.RecoveryCodes[0]}}); status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("recovery code: %d %q", status, loc)
	}
	// Refused secrets are not logged either: an unknown key of the right
	// shape, a wrong recovery code.
	wrongKey := key[:len(key)-4] + "AAAA"
	if status, _ := script(t).withKey(base+"/private", wrongKey); status != http.StatusUnauthorized {
		t.Fatalf("a wrong key: %d", status)
	}
	const wrongCode = "ZZZZZ-YYYYY"
	pb := newBrowser(t, base) // which then uses the pass, replacing the login
	if status, _, _ := pb.codeForm(url.Values{"email": {"lou@example.com"}, "code": {wrongCode}}); status != http.StatusForbidden {
		t.Fatalf("a wrong code: %d", status)
	}

	resp, err := http.Post(c.Admin+"/authgate/pass", "application/json", strings.NewReader(`{"email":"lou@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	var pass struct{ Pass string }
	if err := json.NewDecoder(resp.Body).Decode(&pass); err != nil || pass.Pass == "" {
		t.Fatalf("pass: %v", err)
	}
	resp.Body.Close()
	status, loc, page := pb.codeForm(url.Values{"email": {"lou@example.com"}, "code": {pass.Pass}})
	m := enrolLink.FindStringSubmatch(page)
	if status != http.StatusOK || loc != "" || m == nil || pb.sessionCookie() == "" {
		t.Fatalf("access pass: %d, Location %q, a link on the page: %v", status, loc, m != nil)
	}
	phone, err := deviceclient.Enroll(t.Context(), http.DefaultClient, base+m[1], "New phone")
	if err != nil || phone.Email != "lou@example.com" {
		t.Fatalf("enrolling with the page's link: %v", err)
	}
	_, passToken, _ := strings.Cut(m[1], "#enroll=")

	time.Sleep(200 * time.Millisecond) // the access log's last lines
	log := c.Log()
	if !strings.Contains(log, `"logger":"http.log.access`) {
		t.Fatalf("no access log lines: the test would prove nothing")
	}
	for name, secret := range map[string]string{
		"session cookie": b.sessionCookie(), "API key": key, "API key's secret": key[len(key)-43:],
		"recovery code": dev.RecoveryCodes[0], "access pass": pass.Pass,
		"wrong API key": wrongKey, "wrong code": wrongCode,
		"enrolment token": linkToken, "enrolment token after the pass": passToken,
	} {
		if strings.Contains(log, secret) {
			t.Errorf("Caddy's log holds the %s", name)
		}
	}
}
