package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/gate/geoip/geoiptest"
	"github.com/authgate/authgate/internal/testenv"
)

// TestPhoneCardNamesWhereASignInComesFrom runs a Caddy that trusts the
// loopback proxy, with a GeoIP database: a sign-in from 81.2.69.160 (as
// the proxy says) shows on the phone (at 127.0.0.1) as that address in
// London; one from the phone's own address as "on this network".
// (The far address reaches Caddy as X-Forwarded-For from a trusted
// proxy, which is how Caddy's client_ip sees it.)
func TestPhoneCardNamesWhereASignInComesFrom(t *testing.T) {
	port := testenv.FreePort(t)
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	up := newUpstream(t)
	caddyfile := fmt.Sprintf(`{
	admin %s
	auto_https off
	servers {
		trusted_proxies static 127.0.0.1/32
	}
	authgate {
		store memory
		signing_key %s
		public_url %s
		geoip %s
	}
}

%s {
	authgate {
		app_id e2e
		title "Geo test"
	}
	reverse_proxy %s
}
`, admin, testSigningKey, base, geoiptest.WriteDB(t, "GeoLite2-City"), base, strings.TrimPrefix(up.URL, "http://"))
	c := testenv.StartCaddy(t, caddyBin, caddyfile, admin, base+"/.authgate/healthz")
	g := &gate{t: t, base: base, caddy: c}
	dev := g.enroll("alice@example.com")

	pending := func() map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/.authgate/device/pending", nil)
		if err := dev.SignRequest(req, nil); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Logins []map[string]any `json:"logins"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Logins) != 1 {
			t.Fatalf("pending: %d %v", resp.StatusCode, out)
		}
		return out.Logins[0]
	}

	far := newBrowser(t, base)
	_, _, body := far.do(http.MethodPost, "/.authgate/auth/start",
		http.Header{"Content-Type": {"application/json"}, "X-Forwarded-For": {"81.2.69.160"}},
		[]byte(`{"email":"alice@example.com"}`))
	if !strings.Contains(string(body), "session_id") {
		t.Fatalf("start: %s", body)
	}
	p := pending()
	if p["from"] != "81.2.69.160 (London, United Kingdom)" || p["same_network"] != false || p["location"] != "London, United Kingdom" || p["site_title"] != "Geo test" {
		t.Fatalf("a far sign-in on the phone: %v", p)
	}

	// The same browser, now without the proxy's header: from the phone's
	// own address (it replaces its waiting sign-in).
	far.start("alice@example.com")
	p = pending()
	if p["from"] != "on this network" || p["same_network"] != true || p["location"] != nil {
		t.Fatalf("a sign-in from the phone's address on the phone: %v", p)
	}
}
