package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// sibling opens another tab in tb's browser: the same cookies, as a
// person's second tab has.
func (tb *tab) sibling(name string) *tab {
	tb.t.Helper()
	ctx, cancel := chromedp.NewContext(tb.ctx)
	tb.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		tb.t.Fatalf("opening %s's tab: %v", name, err)
	}
	s := &tab{t: tb.t, name: name, ctx: ctx, screen: tb.screen, shots: tb.shots}
	s.do(chromedp.Emulate(tb.screen))
	return s
}

// TestTwoTabsOfOneBrowserSigningInTellTheFirstTabTheTruth: a person
// starts signing in in one tab, then again in a second tab of the same
// browser. The first tab's login is replaced; its page says a newer
// sign-in in this browser replaced it (never "another browser"), and once
// the second tab is signed in it offers to continue to the page asked for.
func TestTwoTabsOfOneBrowserSigningInTellTheFirstTabTheTruth(t *testing.T) {
	t.Parallel()
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	shots := newShooter(t)
	first := newTab(t, chrome, "first tab", laptopScreen, shots)
	phone := newTab(t, chrome, "phone", phoneScreen, nil)
	enrolPhone(phone, g.enrollmentLink("tabs@example.com").Link)

	startLogin(first, g.base, "tabs@example.com")
	second := first.sibling("second tab")
	code := startLogin(second, g.base, "tabs@example.com")

	first.do(chromedp.Reload())
	first.waitFor("the replaced page", `document.readyState === "complete" && document.body.innerText.includes("A newer sign-in")`)
	if body := first.bodyText(); strings.Contains(body, "another browser") {
		t.Fatalf("the first tab blames another browser: %q", body)
	}
	first.shoot("wait-replaced-by-another-tab")

	waitRequest(phone)
	tapNumber(phone, code)
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .approve")))
	second.waitPath("/private?x=1")

	first.do(chromedp.Reload())
	first.waitFor("the signed-in offer", `document.readyState === "complete" && document.body.innerText.includes("You are signed in")`)
	first.shoot("wait-replaced-signed-in")
	first.do(chromedp.Click(chromedp.CSS(`a[href="/private?x=1"]`)))
	first.waitPath("/private?x=1")
	if body := first.text("body"); body != "hello tabs@example.com" {
		t.Fatalf("the first tab, continued, shows %q", body)
	}
}
