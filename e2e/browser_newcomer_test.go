package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// writeLogo writes a 64×64 PNG logo for the brand options.
func writeLogo(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			c := color.RGBA{0xaa, 0x33, 0x00, 0xff}
			if (x-32)*(x-32)+(y-32)*(y-32) < 18*18 {
				c = color.RGBA{0xff, 0xff, 0xff, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBrowserNewcomerSeesWhereAndAsWhom is a first sign-in as a newcomer
// meets it, at laptop and phone sizes: the site's title, logo and colour
// on the gate, the waiting page and the phone; the email being signed in
// and "Not you?" back to a pre-filled form; "Didn't get it?" with the
// approver's link and, on a desktop, its QR code; sending the request
// again; the phone's card saying "on this network", with the date and
// zone, the Approve button labelled until a number is tapped, a result
// banner and a short history. axe-core checks every page on the way.
func TestBrowserNewcomerSeesWhereAndAsWhom(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), fmt.Sprintf("title \"Ops centre\"\n\t\taccent \"#aa3300\"\n\t\tlogo %s", writeLogo(t)))
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	const email = "alice@example.com"

	phone.do(chromedp.Navigate(g.base + "/.authgate/app"))
	phone.waitFor("the setup view", `!document.getElementById("view-setup").hidden`)
	phone.checkAccessibility("approver app, not set up")
	enrolPhone(phone, g.enrollmentLink(email).Link)
	if eval[bool](phone, `document.getElementById("welcome").hidden`) {
		t.Fatal("the first visit after enrolment does not say the phone is set up")
	}
	phone.shoot("newcomer-app-first-visit")
	phone.checkAccessibility("approver app, first visit")
	phone.do(chromedp.Reload())
	phone.waitFor("the app to be live again", `!document.getElementById("view-main").hidden && document.getElementById("conn").dataset.state === "live"`)
	if !eval[bool](phone, `document.getElementById("welcome").hidden`) {
		t.Fatal(`"This phone is set up" is still shown on the second visit`)
	}

	// The login page names the site, in the page and the tab.
	laptop.do(chromedp.Navigate(g.base + "/private?x=1"))
	laptop.waitPath("/.authgate/login?rd=%2Fprivate%3Fx%3D1")
	if got := eval[string](laptop, `document.title`); got != "Sign in · Ops centre" {
		t.Errorf("the login page's tab title is %q", got)
	}
	if got := laptop.text("h1"); got != "Sign in to Ops centre" {
		t.Errorf("the login page's heading is %q", got)
	}
	if got := laptop.text("#site-title"); got != "Ops centre" {
		t.Errorf("the header names the site %q", got)
	}
	laptop.waitFor("the logo", `document.querySelector("#site-brand img.logo").naturalWidth === 64`)
	if got := eval[string](laptop, `getComputedStyle(document.querySelector("#login-form button.primary")).backgroundColor`); got != "rgb(170, 51, 0)" {
		t.Errorf("the accent colour is not applied: button background %s", got)
	}
	laptop.shoot("newcomer-login")
	laptop.checkAccessibility("login page")

	// A typo, caught on the waiting page: "Not you?" cancels and returns
	// to the form with the address filled in, ready to correct.
	laptop.do(
		chromedp.SendKeys(chromedp.ID("email"), "alise@example.com"),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
	)
	laptop.waitFor("the waiting page", `location.pathname.startsWith("/.authgate/wait/") && document.readyState === "complete"`)
	if got := laptop.text("#wait-email"); got != "alise@example.com" {
		t.Fatalf("the waiting page signs in %q", got)
	}
	if got := laptop.text("#whoami"); got != "Signing in to Ops centre as alise@example.com" {
		t.Errorf("the waiting page says %q", got)
	}
	if got := eval[string](laptop, `document.title`); got != "Approve sign-in · Ops centre" {
		t.Errorf("the waiting page's tab title is %q", got)
	}
	laptop.shoot("newcomer-wait-typo")
	laptop.do(chromedp.Click(chromedp.ID("not-you")))
	laptop.waitFor("the login form again", `location.pathname === "/.authgate/login" && location.search.includes("change=1") && document.readyState === "complete"`)
	if got := eval[string](laptop, `document.getElementById("email").value`); got != "alise@example.com" {
		t.Fatalf(`after "Not you?" the form holds %q`, got)
	}
	// (An email input exposes no selection range to script; focus is
	// what can be checked.)
	if !eval[bool](laptop, `document.activeElement.id === "email"`) {
		t.Error(`after "Not you?" the address field does not have the focus`)
	}
	laptop.shoot("newcomer-not-you")
	laptop.checkAccessibility(`login page after "Not you?"`)

	// The corrected address; the waiting page's help.
	laptop.do(
		chromedp.SetValue(chromedp.ID("email"), email),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
	)
	laptop.waitFor("the waiting page", `location.pathname.startsWith("/.authgate/wait/") && document.readyState === "complete" && !!document.getElementById("code")`)
	firstWait := eval[string](laptop, `location.pathname`)
	laptop.do(chromedp.Click(chromedp.CSS("#help summary")))
	if got := laptop.text("#approver-link"); got != g.base+"/.authgate/app" {
		t.Errorf("the approver link reads %q", got)
	}
	laptop.waitFor("the approver QR code on a desktop", `(() => { const i = document.getElementById("approver-qr"); return i.offsetParent !== null && i.complete && i.naturalWidth > 100; })()`)
	laptop.shoot("newcomer-wait-help")
	laptop.checkAccessibility("waiting page with help open")
	laptop.do(chromedp.Emulate(phoneScreen))
	if eval[bool](laptop, `document.getElementById("approver-qr").offsetParent !== null`) {
		t.Error("the approver QR code shows on a phone-sized touch screen")
	}
	laptop.do(chromedp.Emulate(laptopScreen))

	// The phone's card.
	waitRequest(phone)
	if got := phone.text(requestSel + " .req-site"); got != "Sign in to Ops centre" {
		t.Errorf("the phone's card heads %q", got)
	}
	if got := phone.text(requestSel + " .req-app"); got != "e2e" {
		t.Errorf("the phone's card names app %q", got)
	}
	if got := phone.text(requestSel + " .req-ip"); got != "on this network" {
		t.Errorf("the phone's card says the request comes from %q", got)
	}
	when := phone.text(requestSel + " .req-time")
	year := eval[string](phone, `String(new Date().getFullYear())`)
	zone := eval[string](phone, `new Intl.DateTimeFormat([], {timeZoneName: "short"}).formatToParts(new Date()).find(p => p.type === "timeZoneName").value`)
	if !strings.Contains(when, year) || !strings.Contains(when, zone) {
		t.Errorf("the phone's card gives the time %q, want the date (%s) and zone (%s)", when, year, zone)
	}
	if got := phone.text(requestSel + " .approve"); got != "Tap the number first" {
		t.Errorf("the disabled Approve button reads %q", got)
	}
	phone.shoot("newcomer-app-request")
	phone.checkAccessibility("approver app with a request")

	// "Send the request again": a new login replaces the waiting one.
	laptop.do(chromedp.Click(chromedp.ID("resend")))
	laptop.waitFor("a new waiting page", `location.pathname.startsWith("/.authgate/wait/") && location.pathname !== `+jsString(firstWait)+` && document.readyState === "complete" && !!document.getElementById("code")`)
	code := laptop.text("#code")
	phone.waitFor("the new request only", `document.querySelectorAll("#requests .request").length === 1 && document.querySelector("#requests .request").dataset.id === `+jsString(strings.TrimPrefix(eval[string](laptop, `location.pathname`), "/.authgate/wait/")))

	tapNumber(phone, code)
	if got := phone.text(requestSel + " .approve"); got != "Approve "+code {
		t.Errorf("after tapping, Approve reads %q", got)
	}
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .approve")))
	laptop.waitPath("/private?x=1")
	phone.waitFor("the result banner", `!document.getElementById("result").hidden && document.getElementById("result").dataset.kind === "ok"`)
	if got := phone.text("#result-text"); !strings.Contains(got, "Approved") || !strings.Contains(got, "Ops centre") {
		t.Errorf("the result banner says %q", got)
	}
	phone.waitFor("the history", `document.querySelectorAll("#history li").length >= 2`)
	if got := phone.text("#history li"); !strings.HasPrefix(got, "Approved · Ops centre") {
		t.Errorf("the history's latest entry is %q", got)
	}
	phone.shoot("newcomer-app-after")
	phone.checkAccessibility("approver app after a decision")

	// The account page, and the remembered address after signing out.
	laptop.do(chromedp.Navigate(g.base + "/.authgate/"))
	laptop.waitPath("/.authgate/")
	laptop.checkAccessibilityBothSchemes("account page")
	laptop.shoot("newcomer-account")
	laptop.do(chromedp.Click(chromedp.ID("logout")))
	laptop.waitPath("/.authgate/login?logged_out=1")
	if got := eval[string](laptop, `document.getElementById("email").value`); got != email {
		t.Errorf("the login page does not remember the last address: %q", got)
	}
	laptop.do(chromedp.Click(chromedp.ID("forget-email")))
	if got := eval[string](laptop, `document.getElementById("email").value + "|" + (localStorage.getItem("authgate:last-email") || "")`); got != "|" {
		t.Errorf(`"Forget it" left %q`, got)
	}
	laptop.checkAccessibility("login page after sign-out")

	// The message page: a waiting page opened in another browser.
	code = startLogin(laptop, g.base, email)
	_ = code
	waitPath := eval[string](laptop, `location.pathname`)
	phone.do(chromedp.Navigate(g.base + waitPath))
	phone.waitFor("the other-browser message", `document.body.innerText.includes("started in another browser")`)
	phone.checkAccessibility("message page")
	phone.shoot("newcomer-message")

	// The handoff view of an enrolment link opened on a laptop.
	laptop.do(chromedp.Navigate(g.enrollmentLink("bob@example.com").Link))
	laptop.waitFor("the handoff view", `!document.getElementById("view-handoff").hidden && !document.getElementById("handoff-qr").hidden`)
	laptop.checkAccessibility("approver app, handoff")
}

// jsString quotes s for a script.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}
