package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAccountPageAccessibility runs axe-core on the account page
// in the gate's own colours, light and dark, at laptop and phone size:
// its "This browser" tag is small text in the accent on the accent's
// tint. (TestBrowserNewcomerSeesWhereAndAsWhom does the same under a
// site's own accent.)
func TestBrowserAccountPageAccessibility(t *testing.T) {
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	dev := g.enroll("alice@example.com")
	for _, screen := range bothScreens(t, chrome) {
		tb := screen.tab()
		tb.do(chromedp.Navigate(g.base + "/.authgate/"))
		tb.waitFor("the login page", `location.pathname === "/.authgate/login" && document.readyState === "complete"`)
		tb.typeEmail("alice@example.com")
		tb.do(chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
		approveOnDevice(t, tb, dev)
		tb.waitFor("the account page", `location.pathname === "/.authgate/" && document.readyState === "complete" && !!document.querySelector("#sessions .tag")`)
		tb.checkAccessibilityBothSchemes("account page (" + screen.name + ")")
	}
}
