package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
)

// TestStandaloneExample runs examples/standalone/Caddyfile (on free
// ports) as its comment says, and signs in on its app's page, under the
// page's strict CSP, with the drop-in widget.
func TestStandaloneExample(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "examples", "standalone", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	gatePort, sitePort, adminPort := testenv.FreePort(t), testenv.FreePort(t), testenv.FreePort(t)
	ports := strings.NewReplacer(
		"localhost:9080", fmt.Sprintf("localhost:%d", gatePort),
		"localhost:9081", fmt.Sprintf("localhost:%d", sitePort),
		"localhost:2020", fmt.Sprintf("127.0.0.1:%d", adminPort),
	)
	caddyfile := ports.Replace(string(text))
	// The site's files name the gate's port too.
	site := t.TempDir()
	files, err := filepath.Glob(filepath.Join("..", "examples", "standalone", "site", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the example's site: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(site, filepath.Base(f)), []byte(ports.Replace(string(b))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AUTHGATE_EXAMPLE_SITE", site)
	gateURL := fmt.Sprintf("http://localhost:%d", gatePort)
	c := testenv.StartCaddy(t, caddyBin, caddyfile, fmt.Sprintf("127.0.0.1:%d", adminPort), gateURL+"/.authgate/healthz")
	g := &gate{t: t, base: gateURL, caddy: c}
	dev := g.enroll("you@example.com")

	chrome := startChromium(t)
	app := newTab(t, chrome, "app", laptopScreen, newShooter(t))
	app.do(initScript(recordFetches))
	app.do(chromedp.Navigate(fmt.Sprintf("http://localhost:%d/", sitePort)))
	app.do(
		chromedp.WaitVisible(chromedp.CSS("input.authgate-email")),
		chromedp.SendKeys(chromedp.CSS("input.authgate-email"), "you@example.com"),
		chromedp.Click(chromedp.CSS("button.authgate-button")),
	)
	app.waitFor("the number", `/^[0-9]{2}$/.test(document.querySelector(".authgate-code").textContent)`)
	approveShown(t, dev, app.text(".authgate-code"))
	app.waitFor("the app's greeting", `document.getElementById("who").textContent === "Signed in as you@example.com."`)
	app.shoot("standalone-example-signed-in")
	if v := eval[[]string](app, `window.__csp`); len(v) != 0 {
		t.Fatalf("CSP violations on the example's page: %q", v)
	}
}
