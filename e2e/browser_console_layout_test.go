package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/authgate/authgate/gate/device/deviceclient"
)

// layoutEmail is a valid address as long as real ones get: its parts are
// unbroken words, so only a style that breaks them keeps it in the page.
const layoutEmail = "averyveryverylongemailaddressforlayouttesting.withdots@subdomain.example-long-domain-name.com"

// longDeviceName is a phone name of the longest kind the gate keeps (64
// runes), in one word.
const longDeviceName = "PixelEightProOfTheLayoutTestWithANameAsLongAsPhoneNamesGetInTheG"

// layoutProblems is a script that lists, as one string, what sticks out
// of the page on a screen width pixels wide: the page scrolling sideways, an
// element of the card reaching past the card's edges (what scrolls inside
// a scroller is left to it), and a scroller selected by fit whose content
// is wider than itself.
func layoutProblems(width int64, fit string) string {
	return fmt.Sprintf(`((width, fit) => {
		const out = [];
		const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
		const de = document.documentElement;
		// A phone's browser widens its layout viewport (innerWidth) to
		// content wider than the screen, and zooms out: both count.
		if (de.scrollWidth > window.innerWidth || window.innerWidth > width) out.push("the page is " + de.scrollWidth + "px wide, its viewport " + window.innerWidth + "px, on a " + width + "px screen");
		const card = document.querySelector("main.card").getBoundingClientRect();
		for (const el of document.querySelectorAll("main.card *")) {
			if (el.parentElement.closest(".scroll")) continue;
			const r = el.getBoundingClientRect();
			if (r.width === 0 && r.height === 0) continue;
			if (r.right > card.right + 0.5 || r.left < card.left - 0.5) out.push(name(el) + " spans " + Math.round(r.left) + "-" + Math.round(r.right) + "px, the card " + Math.round(card.left) + "-" + Math.round(card.right) + "px");
		}
		for (const el of fit ? document.querySelectorAll(fit) : []) {
			if (el.scrollWidth > el.clientWidth) out.push(name(el) + " holds " + el.scrollWidth + "px in " + el.clientWidth + "px");
		}
		return out.slice(0, 6).join("; ");
	})(%d, %q)`, width, fit)
}

// checkLayout sizes the tab's window to screen and fails the test with
// what sticks out of the page, if anything; fit names scrollers whose
// content must fit them at that size ("" for none).
func (tb *tab) checkLayout(page string, screen device.Info, fit string) {
	tb.t.Helper()
	tb.do(chromedp.Emulate(screen))
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	// Let layout settle at the new size.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)); err != nil {
		tb.t.Fatalf("%s: resizing to %dpx: %v", tb.name, screen.Width, err)
	}
	if p := eval[string](tb, layoutProblems(screen.Width, fit)); p != "" {
		tb.t.Errorf("%s at %dpx: %s", page, screen.Width, p)
	}
}

// TestConsoleLongAddressesStayInsideThePage loads the console pages that
// show what users and admins typed, at their longest, at phone and
// laptop size: an admin whose address is 93 characters, with a phone of
// the longest name, and a webhook receiver whose URL is over 250
// characters. Nothing may widen the page past the window or stick out of
// its card, and at laptop size the audit table fits its card whole.
func TestConsoleLongAddressesStayInsideThePage(t *testing.T) {
	hook := newFlakyReceiver(t)
	// About 256 characters: the receiver's 22, then a path and a token.
	longURL := hook.URL + "/hooks/authgate/tenant-3f9c1e7a5b2d4c6e8f0a1b3c5d7e9f11/receiver?token=" +
		strings.Repeat("9f86d081884c7d659a2feaa0c55ad015", 4) + "&format=jsonlines&region=eu-central"
	opts := strings.Replace(consoleOptions(longURL), "group admin boss@example.com", "group admin boss@example.com "+layoutEmail, 1)
	g := browserGate(t, storeLine(""), opts)
	shots := newShooter(t)
	chrome := startChromium(t)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	phone, err := deviceclient.Enroll(ctx, http.DefaultClient, g.enrollmentLink(layoutEmail).Link, longDeviceName)
	if err != nil {
		t.Fatalf("enrolling the phone: %v", err)
	}
	if phone.Email != layoutEmail {
		t.Fatalf("the phone is enrolled for %q", phone.Email)
	}

	tb := newTab(t, chrome, "admin laptop", laptopScreen, shots)
	tb.do(chromedp.Navigate(g.base + "/.authgate/admin/"))
	tb.waitFor("the login page", `location.pathname === "/.authgate/login" && document.readyState === "complete"`)
	tb.typeEmail(layoutEmail)
	tb.do(chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	approveOnDevice(t, tb, phone)
	tb.waitPath("/.authgate/admin/")

	// Admin actions about the long address, done while the sign-in is
	// fresh, put it in the audit trail as actor and user both.
	tb.do(chromedp.Navigate(g.base + "/.authgate/admin/users?email=" + layoutEmail))
	tb.waitFor("the user's page", `document.readyState === "complete" && !!document.querySelector("#devices [data-device]")`)
	tb.clickAndLoad("#enrol")
	tb.waitFor("the enrolment link", `!!document.getElementById("enrol-link")`)
	if name := tb.text("#devices [data-device] strong"); name != longDeviceName {
		t.Fatalf("the user's page names the phone %q", name)
	}
	tb.checkLayout("enrolment link", laptopScreen, "")
	tb.checkLayout("enrolment link", phoneScreen, "")
	tb.shoot("console-long-enrol")

	// The sign-in's login event failed at the receiver.
	deadline := time.Now().Add(stepTimeout)
	for hook.hits.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}

	for _, p := range []struct {
		name, path, ready string
		fitLaptop         string
	}{
		{name: "users", path: "/.authgate/admin/", ready: "#email"},
		{name: "user", path: "/.authgate/admin/users?email=" + layoutEmail, ready: "#devices [data-device]"},
		{name: "webhooks", path: "/.authgate/admin/webhooks", ready: "#webhooks [data-webhook]"},
		{name: "deliveries", ready: "#deliveries [data-event]"},
		{name: "audit", path: "/.authgate/admin/audit", ready: `#audit tr[data-type="admin.enrolment_link"]`, fitLaptop: ".scroll"},
	} {
		if p.path != "" {
			tb.do(chromedp.Navigate(g.base + p.path))
		} else {
			tb.clickAndLoad("#webhooks [data-webhook] a")
		}
		tb.waitFor(p.name, `document.readyState === "complete" && !!document.querySelector('`+p.ready+`')`)
		switch p.name {
		case "deliveries":
			if !strings.Contains(tb.text("main"), longURL) {
				t.Fatalf("the deliveries page does not name the receiver: %q", tb.bodyText())
			}
		case "audit":
			if actor := eval[string](tb, `document.querySelector('#audit tr[data-type="admin.enrolment_link"]').dataset.actor`); actor != layoutEmail {
				t.Fatalf("the audit trail names %q as the actor", actor)
			}
		}
		tb.checkLayout(p.name, laptopScreen, p.fitLaptop)
		tb.checkAccessibility("long " + p.name + " (laptop)")
		tb.checkLayout(p.name, phoneScreen, "")
		tb.checkAccessibility("long " + p.name + " (phone)")
		tb.shoot("console-long-" + p.name)
	}
	// The table itself, below the filters.
	eval[bool](tb, `(document.getElementById("audit").scrollIntoView(), true)`)
	tb.shoot("console-long-audit-table")
}
