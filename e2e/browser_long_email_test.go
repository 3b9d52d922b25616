package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/gate/policy"
)

// longestEmail is a valid address of the longest length the gate takes
// (254 characters), each of its parts one unbroken word: only a style
// that breaks words keeps it inside the page.
var longestEmail = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." +
	strings.Repeat("c", 63) + "." + strings.Repeat("d", 49) + ".example.com"

// checkBothLayouts checks the tab's page at laptop and at phone size,
// then puts the laptop's size back.
func (tb *tab) checkBothLayouts(page string) {
	tb.t.Helper()
	tb.checkLayout(page, laptopScreen, "")
	tb.checkLayout(page, phoneScreen, "")
	tb.do(chromedp.Emulate(tb.screen))
}

// TestBrowserLongestEmailStaysInsideTheGatePages signs in with an
// address of the longest kind and loads every gate page that shows it
// (the waiting page, the code form of that login, the message page of
// a site the address may not use, the account page, the login form
// with the address remembered or refused) and the pages on the way
// (recovery codes, sign-ins paused), at laptop and phone size, under a
// site title of the longest kind: nothing
// may widen the page past the window or stick out of its card.
func TestBrowserLongestEmailStaysInsideTheGatePages(t *testing.T) {
	if len(longestEmail) != policy.MaxEmailLength || !policy.ValidEmail(policy.CanonicalEmail(longestEmail)) {
		t.Fatalf("the test address (%d characters) is not one the gate accepts", len(longestEmail))
	}
	shots := newShooter(t)
	// The site's title is as long as the gate takes, in one word too.
	g := browserGate(t, storeLine(""), "title "+strings.Repeat("Title", 16))
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	other := newTab(t, chrome, "other laptop", laptopScreen, shots)
	dev := g.enroll(longestEmail)

	// The waiting page names the address.
	startLogin(laptop, g.base, longestEmail)
	if got := laptop.text("#wait-email"); got != longestEmail {
		t.Fatalf("the waiting page signs in %q", got)
	}
	id := eval[string](laptop, `document.getElementById("wait").dataset.id`)
	code := atoi(t, laptop.text("#code"))
	laptop.checkBothLayouts("waiting page")
	laptop.shoot("long-email-wait")

	// Another browser is refused while that login waits: the form keeps
	// the address and says why.
	other.do(chromedp.Navigate(g.base + "/.authgate/login"))
	other.typeEmail(longestEmail)
	other.do(chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	other.waitFor("the refusal", `!!document.getElementById("login-error")`)
	other.checkBothLayouts("login form, already waiting")
	other.shoot("long-email-login-refused")

	// "Enter a code instead" for the waiting login: the form names the
	// address, and keeps it beside a wrong code's error.
	laptop.clickAndLoad("#use-code")
	laptop.waitFor("the code page", `location.pathname === "/.authgate/code" && !!document.getElementById("code-form")`)
	if got := laptop.text("#code-email strong"); got != longestEmail {
		t.Fatalf("the code page signs in %q", got)
	}
	laptop.checkBothLayouts("code page")
	laptop.shoot("long-email-code")
	laptop.do(chromedp.SendKeys(chromedp.ID("code"), "12345"))
	laptop.clickAndLoad("#code-submit")
	laptop.waitFor("the code's error", `!!document.getElementById("code-error")`)
	if got := laptop.text("#code-email strong"); got != longestEmail {
		t.Errorf("after a wrong code the code page signs in %q", got)
	}
	laptop.checkBothLayouts("code page with an error")
	laptop.shoot("long-email-code-error")

	// Approved on the phone; the waiting page collects the session. The
	// site allows only example.com, so it says who is signed in and
	// that this account may not use it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st, err := dev.Decide(ctx, id, "approve", code); err != nil || st != "approved" {
		t.Fatalf("approving: %q %v", st, err)
	}
	laptop.do(chromedp.Navigate(g.base + "/.authgate/wait/" + id))
	laptop.waitFor("the refusal of the site", `location.pathname === "/private" && document.readyState === "complete" && document.querySelector("h1").textContent === "Access denied"`)
	if got := laptop.text("main"); !strings.Contains(got, longestEmail) {
		t.Fatalf("the access denied page says %q", got)
	}
	laptop.checkBothLayouts("access denied page")
	laptop.shoot("long-email-forbidden")

	// The account page.
	laptop.do(chromedp.Navigate(g.base + "/.authgate/"))
	laptop.waitFor("the account page", `document.readyState === "complete" && !!document.getElementById("new-recovery")`)
	if got := laptop.text("main"); !strings.Contains(got, longestEmail) {
		t.Fatalf("the account page does not name the address: %q", got)
	}
	laptop.checkBothLayouts("account page")
	laptop.shoot("long-email-account")

	// New recovery codes (the sign-in was just approved on the phone).
	laptop.clickAndLoad("#new-recovery")
	laptop.waitFor("new codes", `document.querySelectorAll("#recovery-codes li").length === 10`)
	laptop.checkBothLayouts("recovery codes page")
	laptop.shoot("long-email-recovery")

	// Signing out: the form remembers the address.
	laptop.do(chromedp.Navigate(g.base + "/.authgate/"))
	laptop.waitFor("the account page", `document.readyState === "complete" && !!document.getElementById("logout")`)
	laptop.clickAndLoad("#logout")
	laptop.waitPath("/.authgate/login?logged_out=1")
	if got := eval[string](laptop, `document.getElementById("email").value`); got != longestEmail {
		t.Fatalf("after signing out the form holds %q", got)
	}
	laptop.checkBothLayouts("login form after signing out")
	laptop.shoot("long-email-logged-out")

	// A report pauses the address's sign-ins: the waiting page and the
	// form say so.
	startLogin(laptop, g.base, longestEmail)
	id = eval[string](laptop, `document.getElementById("wait").dataset.id`)
	if st, err := dev.Decide(ctx, id, "report", 0); err != nil || st != "denied" {
		t.Fatalf("reporting: %q %v", st, err)
	}
	laptop.waitFor("the paused state", `!!document.getElementById("state-paused")`)
	laptop.checkBothLayouts("waiting page, paused")
	laptop.shoot("long-email-wait-paused")
	laptop.do(chromedp.Navigate(g.base + "/.authgate/login"))
	laptop.waitFor("the login form", `document.readyState === "complete" && !!document.getElementById("email")`)
	laptop.typeEmail(longestEmail)
	laptop.clickAndLoad("#login-form button[type=submit]")
	laptop.waitFor("the refusal", `document.querySelector("h1").textContent === "Sign-ins paused"`)
	laptop.checkBothLayouts("sign-ins paused page")
	laptop.shoot("long-email-paused")
}
