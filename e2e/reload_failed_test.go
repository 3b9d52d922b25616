package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/testenv"
)

// TestAFailedReloadLeavesTheAdminAPIOnTheRunningConfig reloads a config
// that cannot start (a GeoIP database that is not there): the reload is
// refused naming the option, the old config keeps serving, and the admin
// API and the CLI keep answering for it rather than saying authgate is
// not configured.
func TestAFailedReloadLeavesTheAdminAPIOnTheRunningConfig(t *testing.T) {
	up := newUpstream(t)
	port := testenv.FreePort(t)
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	caddyfile := func(extra string) string {
		return fmt.Sprintf("{\n\tadmin %s\n\tauto_https off\n\tauthgate {\n\t\tpublic_url %s\n\t\t%s\n\t}\n}\n\n%s {\n\tauthgate\n\treverse_proxy %s\n}\n",
			admin, base, extra, base, strings.TrimPrefix(up.URL, "http://"))
	}
	c := testenv.StartCaddy(t, caddyBin, caddyfile(""), admin, base+"/.authgate/healthz")
	g := &gate{t: t, base: base, caddy: c}
	dev := g.enroll("nora@example.com")
	b := newBrowser(t, base)
	b.login(dev, "nora@example.com")

	req, _ := http.NewRequest(http.MethodPost, c.Admin+"/load", bytes.NewReader([]byte(caddyfile("geoip /nonexistent/GeoLite2-City.mmdb"))))
	req.Header.Set("Content-Type", "text/caddyfile")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || !strings.Contains(string(answer), "geoip") {
		t.Fatalf("the failing reload: %d %s", resp.StatusCode, answer)
	}

	if status, _, _ := b.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil); status != http.StatusOK {
		t.Fatalf("the running config after a failed reload: %d", status)
	}
	out, errOut, code := g.runCLI("devices", "nora@example.com")
	if code != 0 || !strings.Contains(out, "Test phone") {
		t.Errorf("caddy authgate devices after a failed reload (exit %d): %s %s", code, out, errOut)
	}
	g.enroll("olga@example.com")
}
