package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/testenv"
)

// axeScript is axe-core, installed by scripts/test (npm ci in
// e2e/testdata/console-axe).
var axeScript = filepath.Join("testdata", "console-axe", "node_modules", "axe-core", "axe.min.js")

// loadAxe returns axe-core's source, skipping the test when it is not
// installed (failing under CI=true).
func loadAxe(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(axeScript)
	if err != nil {
		if testenv.InCI() {
			t.Fatalf("axe-core is not installed (npm ci --prefix e2e/testdata/console-axe): %v", err)
		}
		t.Skipf("axe-core is not installed; run npm ci --prefix e2e/testdata/console-axe: %v", err)
	}
	return string(src)
}

// axeViolation is one rule axe-core found broken.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeCheck runs axe-core on the tab's page and fails on serious or
// critical violations. axe is evaluated through DevTools, which the
// page's Content-Security-Policy does not restrict.
func axeCheck(t *testing.T, tb *tab, axe, page string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
		t.Fatalf("%s: loading axe-core: %v", page, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
		r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => String(n.target))}))))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: running axe-core: %v", page, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		t.Fatalf("%s: axe-core's answer: %v", page, err)
	}
	for _, v := range violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s (%s): %s %s: %s at %s", page, tb.screen.Name, v.Impact, v.ID, v.Help, strings.Join(v.Targets, ", "))
		} else {
			t.Logf("%s (%s): %s %s: %s", page, tb.screen.Name, v.Impact, v.ID, v.Help)
		}
	}
}

// TestConsolePagesHaveNoSeriousAccessibilityViolations runs axe-core on
// every console page, at laptop and phone size.
func TestConsolePagesHaveNoSeriousAccessibilityViolations(t *testing.T) {
	axe := loadAxe(t)
	hook := newFlakyReceiver(t)
	// A one-second step-up window, so that an action shows the step-up
	// prompt.
	g := browserGate(t, storeLine(""), strings.Replace(consoleOptions(hook.URL), "admin_step_up "+consoleStepUp.String(), "admin_step_up 1s", 1))
	chrome := startChromium(t)
	alicePhone := g.enroll("alice@example.com")
	newBrowser(t, g.base).login(alicePhone, "alice@example.com")
	bossPhone := g.enroll("boss@example.com")
	for _, screen := range []struct {
		name string
		tab  func() *tab
	}{
		{"laptop", func() *tab { return newTab(t, chrome, "laptop", laptopScreen, nil) }},
		{"phone", func() *tab { return newTab(t, chrome, "phone", phoneScreen, nil) }},
	} {
		tb := screen.tab()
		tb.do(chromedp.Navigate(g.base + "/.authgate/admin/"))
		tb.waitFor("the login page", `location.pathname === "/.authgate/login" && document.readyState === "complete"`)
		tb.do(chromedp.SendKeys(chromedp.ID("email"), "boss@example.com"),
			chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
		approveOnDevice(t, tb, bossPhone)
		tb.waitPath("/.authgate/admin/")
		axeCheck(t, tb, axe, "users")
		for _, p := range []struct{ name, path, ready string }{
			{"user", "/.authgate/admin/users?email=alice@example.com", "#sessions"},
			{"webhooks", "/.authgate/admin/webhooks", "#webhooks"},
			{"audit", "/.authgate/admin/audit", "#audit"},
		} {
			tb.do(chromedp.Navigate(g.base + p.path))
			tb.waitFor(p.name, `document.readyState === "complete" && !!document.querySelector("`+p.ready+`")`)
			axeCheck(t, tb, axe, p.name)
		}
		tb.do(chromedp.Navigate(g.base + "/.authgate/admin/webhooks"))
		tb.waitFor("webhooks", `document.readyState === "complete" && !!document.querySelector("#webhooks [data-webhook] a")`)
		tb.clickAndLoad(`#webhooks [data-webhook] a`)
		tb.waitFor("deliveries", `!!document.querySelector("#deliveries [data-event]")`)
		axeCheck(t, tb, axe, "deliveries")
		time.Sleep(1100 * time.Millisecond)
		tb.do(chromedp.Navigate(g.base + "/.authgate/admin/users?email=alice@example.com"))
		tb.waitFor("user", `document.readyState === "complete" && !!document.querySelector("#enrol")`)
		tb.clickAndLoad("#enrol")
		tb.waitFor("the step-up prompt", `!!document.getElementById("stepup")`)
		axeCheck(t, tb, axe, "step-up")
	}
}
