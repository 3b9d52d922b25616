package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserWithoutScriptContinueSaysNotYet: without JavaScript, the
// waiting page's "I approved it: continue" pressed before the approval
// says so, with what to do, instead of coming back unchanged; pressed
// after it, it signs in.
func TestBrowserWithoutScriptContinueSaysNotYet(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	setScript(t, laptop, false)
	const email = "otto@example.com"
	dev := g.enroll(email)

	laptop.do(chromedp.Navigate(g.base + "/private?x=1"))
	laptop.waitPath("/.authgate/login?rd=%2Fprivate%3Fx%3D1")
	laptop.do(chromedp.SendKeys(chromedp.ID("email"), email))
	laptop.clickAndLoad("#login-form button[type=submit]")
	laptop.waitFor("the waiting page", `location.pathname.startsWith("/.authgate/wait/") && !!document.getElementById("continue")`)
	if eval[bool](laptop, `!!document.getElementById("not-yet")`) {
		t.Fatal("the waiting page says 'not approved yet' before anything was pressed")
	}
	id := eval[string](laptop, `document.getElementById("wait").dataset.id`)
	code := atoi(t, laptop.text("#code"))

	laptop.clickAndLoad("#continue")
	laptop.waitFor("the waiting page again", `!!document.getElementById("code")`)
	if !eval[bool](laptop, `!!document.getElementById("not-yet")`) {
		t.Fatalf("continue before the approval says nothing new: %q", laptop.bodyText())
	}
	if got := laptop.text("#not-yet"); !strings.HasPrefix(got, "Not approved yet: tap the number on your phone") {
		t.Fatalf("continue before the approval says %q", got)
	}
	if got := atoi(t, laptop.text("#code")); got != code {
		t.Fatalf("the waiting page shows %d, was %d", got, code)
	}
	// The photographs wait for frames, which need script: it is turned
	// on for them only, once the page has loaded without it, and the page
	// is loaded again without it after. With script on, <noscript> hides
	// what it holds: its content is put in its place first, as a browser
	// without script shows it.
	eval[bool](laptop, `(document.querySelectorAll("noscript").forEach(n => n.replaceWith(...n.childNodes)), true)`)
	setScript(t, laptop, true)
	laptop.shoot("noscript-not-yet")
	setScript(t, laptop, false)
	laptop.do(chromedp.Reload())
	laptop.waitFor("the waiting page again", `document.readyState === "complete" && !!document.getElementById("continue")`)

	if st, err := dev.Decide(t.Context(), id, "approve", code); err != nil || st != "approved" {
		t.Fatalf("approving: %q %v", st, err)
	}
	laptop.clickAndLoad("#continue")
	laptop.waitPath("/private?x=1")
	if body := laptop.text("body"); body != "hello "+email {
		t.Fatalf("protected page says %q", body)
	}
}

// setScript turns the tab's JavaScript on or off.
func setScript(t *testing.T, tb *tab, on bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		t.Fatalf("turning script on (%v): %v", on, err)
	}
}
