package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserEnrolAndApprove is the product as a person meets it: the
// phone opens the enrolment link and sets itself up; the laptop visits the
// protected site, types the email and sees a number; the phone taps that
// number and approves; the laptop lands on the protected page.
func TestBrowserEnrolAndApprove(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		var shots *shooter
		if !strings.Contains(storeOpt, "redis") {
			shots = newShooter(t)
		}
		g := browserGate(t, storeOpt, "")
		chrome := startChromium(t)
		laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
		phone := newTab(t, chrome, "phone", phoneScreen, shots)

		phone.do(chromedp.Navigate(g.base + "/.authgate/app"))
		phone.waitFor("the setup view", `!document.getElementById("view-setup").hidden`)
		phone.shoot("app-not-set-up")

		e := g.enrollmentLink("alice@example.com")
		if !strings.HasPrefix(e.QRPNG, "data:image/png;base64,") {
			t.Fatalf("the enrolment answer has no QR code: %.40q", e.QRPNG)
		}
		enrolPhone(phone, e.Link)
		if got := phone.text("#me-email"); got != "alice@example.com" {
			t.Fatalf("the app approves for %q", got)
		}
		phone.shoot("app-ready")

		code := startLogin(laptop, g.base, "alice@example.com")
		laptop.shoot("wait")
		waitRequest(phone)
		if got := phone.text(requestSel + " .req-browser"); got != "Headless Chrome on Linux" {
			t.Errorf("the phone names the laptop's browser %q", got)
		}
		if got := phone.text(requestSel + " .req-ip"); got != "on this network" {
			t.Errorf("the phone says the sign-in comes from %q, want \"on this network\" (same IP)", got)
		}
		phone.shoot("app-request")
		if eval[bool](phone, `document.querySelector("#requests .request .approve").disabled`) != true {
			t.Fatal("Approve is enabled before a number is tapped")
		}
		tapNumber(phone, code)
		phone.shoot("app-number-tapped")
		phone.do(chromedp.Click(chromedp.CSS(requestSel + " .approve")))
		laptop.waitPath("/private?x=1")
		if body := laptop.text("body"); body != "hello alice@example.com" {
			t.Fatalf("protected page says %q", body)
		}
		laptop.shoot("protected-page")
		phone.waitFor("the approval notice", `!document.getElementById("result").hidden && document.querySelectorAll("#requests .request").length === 0`)
		phone.shoot("app-approved")

		// The phone sees and renames itself; the account page shows it.
		phone.do(chromedp.Click(chromedp.CSS("#device-box summary")))
		eval[bool](phone, `(document.getElementById("rename").value = "") === ""`)
		phone.do(
			chromedp.SendKeys(chromedp.ID("rename"), "Alice's Pixel"),
			chromedp.Click(chromedp.CSS("#rename-form button")),
		)
		phone.waitFor("the new name", `document.getElementById("me-name").textContent === "Alice's Pixel"`)
		phone.shoot("app-device")

		laptop.do(chromedp.Navigate(g.base + "/.authgate/"))
		laptop.waitPath("/.authgate/")
		if got := laptop.text("#devices"); !strings.Contains(got, "Alice's Pixel") {
			t.Fatalf("the account page lists devices %q", got)
		}
		if got := laptop.text("#sessions"); !strings.Contains(got, "Headless Chrome on Linux") || !strings.Contains(got, "This browser") {
			t.Fatalf("the account page lists sessions %q", got)
		}
		laptop.shoot("account")
	})
}

// TestBrowserDenyWrongNumberAndReport: a denial, a wrong number and a
// report each end the login on the laptop with their own message and a
// retry button; after a report, a new push for the email is refused.
func TestBrowserDenyWrongNumberAndReport(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	enrolPhone(phone, g.enrollmentLink("bob@example.com").Link)

	// Deny.
	startLogin(laptop, g.base, "bob@example.com")
	waitRequest(phone)
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .deny")))
	laptop.waitFor("the denied state", `!document.getElementById("state-denied").hidden && !document.getElementById("retry-row").hidden`)
	if got := laptop.text("#state-denied [data-reason=denied]"); !strings.Contains(got, "denied on your phone") {
		t.Fatalf("denied page says %q", got)
	}
	laptop.shoot("denied")
	phone.shoot("app-denied")

	// The retry button starts over at the form, keeping the return path.
	laptop.do(chromedp.Click(chromedp.ID("retry")))
	laptop.waitPath("/.authgate/login?rd=%2Fprivate%3Fx%3D1")
	laptop.shoot("login")

	// A wrong number.
	code := startLogin(laptop, g.base, "bob@example.com")
	waitRequest(phone)
	tapNumber(phone, otherChoice(phone, code))
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .approve")))
	laptop.waitFor("the wrong-number state", `!document.getElementById("state-denied").hidden`)
	if got := laptop.text("#state-denied [data-reason=wrong_number]"); !strings.Contains(got, "different number") {
		t.Fatalf("wrong-number page says %q", got)
	}
	laptop.shoot("denied-wrong-number")
	phone.waitFor("the wrong-number notice", `document.getElementById("result").dataset.kind === "bad"`)
	phone.shoot("app-wrong-number")

	// Deny and report: the phone asks first, then the laptop says until
	// when sign-ins are paused, with no retry button, and a new push for
	// the email is refused the same way.
	startLogin(laptop, g.base, "bob@example.com")
	waitRequest(phone)
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .report")))
	phone.waitFor("the report confirmation", `!document.querySelector("#requests .request .confirm").hidden`)
	if got := phone.text(requestSel + " .confirm-text"); !strings.Contains(got, "This blocks sign-ins for bob@example.com until ") || !strings.HasSuffix(got, "Report it?") {
		t.Fatalf("the phone asks %q", got)
	}
	phone.shoot("app-report-confirm")
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .confirm-report")))
	laptop.waitFor("the paused state", `!!document.getElementById("state-paused")`)
	paused := laptop.text("#paused")
	if !pausedText.MatchString(paused) || !strings.Contains(paused, "because a request was reported. Contact your administrator.") {
		t.Fatalf("reported page says %q", paused)
	}
	if n := eval[int](laptop, `document.querySelectorAll("#retry, #retry-row").length`); n != 0 {
		t.Fatalf("the paused page offers a retry button")
	}
	laptop.shoot("denied-reported")
	phone.waitFor("the report notice", `document.getElementById("result").textContent.includes("paused until")`)
	phone.shoot("app-reported")
	laptop.do(chromedp.Navigate(g.base + "/private?x=1"))
	laptop.waitPath("/.authgate/login?rd=%2Fprivate%3Fx%3D1")
	// "Try again" comes back to the form with the last address filled in.
	if got := eval[string](laptop, `document.getElementById("email").value`); got != "bob@example.com" {
		t.Fatalf("after Try again the form holds %q", got)
	}
	laptop.do(chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	laptop.waitFor("the refusal", `location.pathname === "/.authgate/login" && document.querySelector("h1").textContent === "Sign-ins paused"`)
	if got := laptop.text("main"); !pausedText.MatchString(got) || strings.Contains(got, "Try again") || strings.Contains(got, "Too many") {
		t.Fatalf("after a report the form says %q", got)
	}
	if n := eval[int](laptop, `document.querySelectorAll("main a.button, main button").length`); n != 0 {
		t.Fatalf("the paused page offers %d buttons", n)
	}
	laptop.shoot("login-paused")
	if n := eval[int](phone, `document.querySelectorAll("#requests .request").length`); n != 0 {
		t.Fatalf("the phone shows %d requests after a refused push", n)
	}
	// The operator lifts the pause: the next login works.
	g.caddyCLI("unblock", "bob@example.com")
	loginWithPhone(laptop, phone, g.base, "bob@example.com")
}

// pausedText is the start of the paused message, with the time.
var pausedText = regexp.MustCompile(`Sign-ins for this account are paused until [0-2][0-9]:[0-5][0-9] UTC `)

// lockedText is how the gate words a lockout, which stops pushes only.
var lockedText = regexp.MustCompile(`Requests to your phone for this account are paused until [0-2][0-9]:[0-5][0-9] UTC after too many sign-in requests that were not approved`)

// TestBrowserLoginExpires: nobody approves, the window closes, the laptop
// says so and offers a retry; the phone's card goes away.
func TestBrowserLoginExpires(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), "login_timeout 3s")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	enrolPhone(phone, g.enrollmentLink("carol@example.com").Link)

	startLogin(laptop, g.base, "carol@example.com")
	waitRequest(phone)
	laptop.waitFor("the expired state", `!document.getElementById("state-expired").hidden && !document.getElementById("retry-row").hidden`)
	laptop.shoot("expired")
	phone.waitFor("the card to go", `document.querySelectorAll("#requests .request").length === 0 && !document.getElementById("empty").hidden`)
	laptop.do(chromedp.Click(chromedp.ID("retry")))
	laptop.waitPath("/.authgate/login?rd=%2Fprivate%3Fx%3D1")
}
