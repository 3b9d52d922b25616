package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/gate/store"
)

// TestACrossSiteLogoutLeavesTheCookieAlone: a page on another site that
// posts a form to the logout URL reaches the gate without the session
// cookie (it is SameSite=Lax), yet a browser applies the answer's
// Set-Cookie to a top-level navigation all the same. The gate must refuse
// such a post instead of answering it by clearing the cookie, or any site
// could sign its visitors out.
func TestACrossSiteLogoutLeavesTheCookieAlone(t *testing.T) {
	forEachTestStore(t, func(t *testing.T, st store.Store) {
		lg := startLiveGate(t, st)
		dev := lg.enroll(t, "alice@example.com")
		b := lg.browser(t)
		lg.loginWith(t, b, dev, "alice@example.com")
		for name, hdr := range map[string]map[string]string{
			"another origin":        {"Origin": "https://evil.example"},
			"a cross-site fetch":    {"Sec-Fetch-Site": "cross-site"},
			"an opaque origin":      {"Origin": "null"},
			"another origin (JSON)": {"Origin": "https://evil.example", "Accept": "application/json"},
		} {
			// As the browser sends it: without the Lax cookie.
			req, _ := http.NewRequest(http.MethodPost, b.base+"/.authgate/logout", strings.NewReader("everywhere=1"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || len(resp.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("%s: %d, Set-Cookie %q; want 403 and no cookie change", name, resp.StatusCode, resp.Header.Values("Set-Cookie"))
			}
		}
		// The site's own logout form, from a browser whose cookie is
		// already gone, still answers "signed out".
		if status, loc := lg.browser(t).post("/.authgate/logout", nil); status != http.StatusSeeOther || loc != "/.authgate/login?logged_out=1" {
			t.Fatalf("same-origin logout: %d to %q", status, loc)
		}
	})
}
