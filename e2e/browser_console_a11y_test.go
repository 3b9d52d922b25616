package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsolePagesHaveNoSeriousAccessibilityViolations runs axe-core on
// every console page, at laptop and phone size.
func TestConsolePagesHaveNoSeriousAccessibilityViolations(t *testing.T) {
	hook := newFlakyReceiver(t)
	// A one-second step-up window, so that an action shows the step-up
	// prompt.
	g := browserGate(t, storeLine(""), strings.Replace(consoleOptions(hook.URL), "admin_step_up "+consoleStepUp.String(), "admin_step_up 1s", 1))
	chrome := startChromium(t)
	alicePhone := g.enroll("alice@example.com")
	alice := newBrowser(t, g.base)
	alice.login(alicePhone, "alice@example.com")
	// A key, so that the user's page lists one with its revoke button.
	alice.createKeyHTTP("deploy from CI", "")
	bossPhone := g.enroll("boss@example.com")
	for _, screen := range bothScreens(t, chrome) {
		tb := screen.tab()
		tb.signInToConsole(g.base, bossPhone, "boss@example.com")
		tb.checkAccessibility("users")
		for _, p := range []struct{ name, path, ready string }{
			{"user", "/.authgate/admin/users?email=alice@example.com", "#keys [data-key]"},
			{"webhooks", "/.authgate/admin/webhooks", "#webhooks"},
			{"audit", "/.authgate/admin/audit", "#audit"},
		} {
			tb.do(chromedp.Navigate(g.base + p.path))
			tb.waitFor(p.name, `document.readyState === "complete" && !!document.querySelector("`+p.ready+`")`)
			tb.checkAccessibility(p.name)
		}
		tb.do(chromedp.Navigate(g.base + "/.authgate/admin/webhooks"))
		tb.waitFor("webhooks", `document.readyState === "complete" && !!document.querySelector("#webhooks [data-webhook] a")`)
		tb.clickAndLoad(`#webhooks [data-webhook] a`)
		tb.waitFor("deliveries", `!!document.querySelector("#deliveries [data-event]")`)
		tb.checkAccessibility("deliveries")
		time.Sleep(1100 * time.Millisecond)
		tb.do(chromedp.Navigate(g.base + "/.authgate/admin/users?email=alice@example.com"))
		tb.waitFor("user", `document.readyState === "complete" && !!document.querySelector("#enrol")`)
		tb.clickAndLoad("#enrol")
		tb.waitFor("the step-up prompt", `!!document.getElementById("stepup")`)
		tb.checkAccessibility("step-up")
	}
}
