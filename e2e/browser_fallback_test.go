package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// codeLogin has a laptop go to the protected page, choose "Enter a code
// from your phone instead", type email and code, and land on the page.
func codeLogin(laptop *tab, base, email, code, shot string) {
	laptop.t.Helper()
	laptop.do(chromedp.Navigate(base + "/private?x=1"))
	laptop.waitPath("/.authgate/login?rd=%2Fprivate%3Fx%3D1")
	laptop.do(chromedp.Click(chromedp.ID("use-code")))
	laptop.waitFor("the code page", `location.pathname === "/.authgate/code" && new URLSearchParams(location.search).get("rd") === "/private?x=1" && document.readyState === "complete"`)
	laptop.do(
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("code"), code),
	)
	if shot != "" {
		laptop.shoot(shot)
	}
	laptop.do(chromedp.Click(chromedp.ID("code-submit")))
	laptop.waitPath("/private?x=1")
	if body := laptop.text("body"); body != "hello "+email {
		laptop.t.Fatalf("protected page says %q", body)
	}
}

var recoveryShape = regexp.MustCompile(`^[2-9A-Z]{5}-[2-9A-Z]{5}$`)

// TestBrowserOfflineCodeAndRecoveryCodes: the first phone shows ten
// recovery codes once; "Show a code" gives a code the laptop types in
// to get in; a recovery code gets another laptop in and the account page
// then says "9 left"; new codes need a fresh phone approval; with the
// gate unreachable the app still opens and shows a code.
func TestBrowserOfflineCodeAndRecoveryCodes(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	other := newTab(t, chrome, "other laptop", laptopScreen, shots)

	phone.do(chromedp.Navigate(g.enrollmentLink("hana@example.com").Link))
	phone.waitFor("the recovery codes", `!document.getElementById("view-recovery").hidden`)
	codes := strings.Fields(phone.text("#recovery-list"))
	if len(codes) != 10 || !recoveryShape.MatchString(codes[0]) {
		t.Fatalf("the phone shows recovery codes %q", codes)
	}
	phone.shoot("app-recovery-codes")
	phone.do(chromedp.Click(chromedp.ID("recovery-done")))
	phone.waitFor("the app to be live", `!document.getElementById("view-main").hidden && document.getElementById("conn").dataset.state === "live"`)
	if n := eval[int](phone, `document.querySelectorAll("#recovery-list li").length`); n != 0 {
		t.Fatalf("the codes stay in the page after 'I saved them': %d", n)
	}
	if eval[bool](phone, `document.getElementById("show-code").hidden`) {
		t.Fatal("no 'Show a code' button")
	}
	phone.do(chromedp.Click(chromedp.ID("show-code")))
	phone.waitFor("a code", `/^[0-9]{6}$/.test(document.getElementById("otp-code").dataset.code || "")`)
	if left := phone.text("#otp-left"); !regexp.MustCompile(`^([1-9]|[12][0-9]|30) s left$`).MatchString(left) {
		t.Fatalf("the code's time left reads %q", left)
	}
	phone.shoot("app-show-code")
	// Type it well inside its 30 s (the gate also takes the last one).
	code := eval[string](phone, `document.getElementById("otp-code").dataset.code`)
	codeLogin(laptop, g.base, "hana@example.com", code, "code-form")

	// Reloading the app shows no recovery codes again.
	phone.do(chromedp.Reload())
	phone.waitFor("the app to be live", `!document.getElementById("view-main").hidden && document.getElementById("conn").dataset.state === "live"`)
	// The code key came back from IndexedDB with the device.
	phone.do(chromedp.Click(chromedp.ID("show-code")))
	phone.waitFor("a code after a reload", `/^[0-9]{6}$/.test(document.getElementById("otp-code").dataset.code || "")`)

	// A code of no known shape: a clear error, the form keeps the login.
	other.do(chromedp.Navigate(g.base + "/.authgate/code?rd=%2Fprivate%3Fx%3D1"))
	other.do(
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "hana@example.com"),
		chromedp.SendKeys(chromedp.ID("code"), "12345"),
		chromedp.Click(chromedp.ID("code-submit")),
	)
	other.waitFor("the refusal", `!!document.getElementById("code-error")`)
	if got := other.text("#code-error"); !strings.Contains(got, "6 digits") {
		t.Fatalf("a short code says %q", got)
	}
	other.shoot("code-error")
	// A recovery code at the gate, in place of a push.
	codeLogin(other, g.base, "hana@example.com", strings.ToLower(codes[0]), "")
	other.do(chromedp.Navigate(g.base + "/.authgate/"))
	other.waitFor("the account page", `!!document.getElementById("recovery-left")`)
	if got := other.text("#recovery-left"); got != "9 left" {
		t.Fatalf("the account page says %q", got)
	}
	if got := other.text("#recovery-used"); !strings.Contains(got, "recovery code") {
		t.Fatalf("the account page does not say a recovery code was used: %q", got)
	}
	other.shoot("home-recovery")
	// That session came from a recovery code: new codes need a phone.
	other.do(chromedp.Click(chromedp.ID("new-recovery")))
	other.waitFor("the refusal", `document.querySelector("h1").textContent === "Approve on your phone first"`)
	other.shoot("recovery-needs-phone")

	// The laptop's session was approved by the phone's code just now.
	laptop.do(chromedp.Navigate(g.base + "/.authgate/"))
	laptop.waitFor("the account page", `!!document.getElementById("new-recovery")`)
	laptop.do(chromedp.Click(chromedp.ID("new-recovery")))
	laptop.waitFor("new codes", `document.querySelectorAll("#recovery-codes li").length === 10`)
	fresh := strings.Fields(laptop.text("#recovery-codes"))
	if len(fresh) != 10 || fresh[0] == codes[0] {
		t.Fatalf("new codes %q", fresh)
	}
	laptop.shoot("recovery-new")
	laptop.do(chromedp.Navigate(g.base + "/.authgate/"))
	laptop.waitFor("the account page", `!!document.getElementById("recovery-left")`)
	if got := laptop.text("#recovery-left"); got != "10 left" {
		t.Fatalf("after new codes the account page says %q", got)
	}

	// The code is for a phone that cannot reach the gate: with the gate
	// gone, and nothing in the browser's HTTP cache, the app opens from
	// the shell its service worker keeps and still shows one.
	g.caddy.Kill()
	phone.clearHTTPCache()
	phone.do(chromedp.Reload())
	phone.waitFor("the app to say it is offline", `!document.getElementById("view-main").hidden && document.getElementById("conn").dataset.state === "offline"`)
	if hint := phone.text("#offline-hint"); !strings.Contains(hint, "Show a code") {
		t.Fatalf("offline, the app says %q", hint)
	}
	phone.do(chromedp.Click(chromedp.ID("show-code")))
	phone.waitFor("a code without a network", `/^[0-9]{6}$/.test(document.getElementById("otp-code").dataset.code || "")`)
	phone.shoot("app-show-code-offline")
	phone.checkAccessibility("the approver app offline")
}

// TestBrowserLockoutAndUnblock: five denied logins lock the account; the
// waiting page of the fifth and the form then say until when, with no
// retry button, and no push reaches the phone; `caddy authgate unblock`
// lets the next login through.
func TestBrowserLockoutAndUnblock(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), "pushes_per_email 50")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	dev := g.enroll("jay@example.com")
	for i := range 5 {
		startLogin(laptop, g.base, "jay@example.com")
		id := eval[string](laptop, `document.getElementById("wait").dataset.id`)
		if st, err := dev.Decide(t.Context(), id, "deny", 0); err != nil || st != "denied" {
			t.Fatalf("deny %d: %q %v", i+1, st, err)
		}
		if i < 4 {
			laptop.waitFor("the denied state", `!!document.getElementById("retry") && !document.getElementById("retry-row").hidden`)
		}
	}
	laptop.waitFor("the lockout", `!!document.getElementById("state-paused")`)
	if got := laptop.text("#paused"); !lockedText.MatchString(got) || !strings.Contains(got, "You can still sign in with a code") {
		t.Fatalf("the fifth denial's page says %q", got)
	}
	if ok := eval[bool](laptop, `(u => u.pathname === "/.authgate/code" && u.searchParams.get("rd") === "/private?x=1")(new URL(document.getElementById("paused-code").href))`); !ok {
		t.Fatalf("the lockout page's code link is %q", eval[string](laptop, `document.getElementById("paused-code").href`))
	}
	if n := eval[int](laptop, `document.querySelectorAll("#retry").length`); n != 0 {
		t.Fatal("the lockout page offers a retry button")
	}
	laptop.shoot("lockout")
	laptop.do(chromedp.Navigate(g.base + "/private?x=1"))
	laptop.waitPath("/.authgate/login?rd=%2Fprivate%3Fx%3D1")
	laptop.typeEmail("jay@example.com")
	laptop.do(chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	laptop.waitFor("the refusal", `document.querySelector("h1").textContent === "Sign-ins paused"`)
	if p, err := dev.Pending(t.Context()); err != nil || len(p) != 0 {
		t.Fatalf("the phone has %d requests while locked (%v)", len(p), err)
	}
	laptop.shoot("lockout-form")
	// The lockout stops pushes only: its page leads to the code form,
	// where the user's offline code signs in (in a browser of its own,
	// so this one stays signed out for what follows).
	codeHref := eval[string](laptop, `[...document.querySelectorAll("a.button")].find(a => a.textContent === "Enter a code").getAttribute("href")`)
	other := newTab(t, chrome, "other laptop", laptopScreen, nil)
	other.do(chromedp.Navigate(g.base + codeHref))
	other.do(
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "jay@example.com"),
		chromedp.SendKeys(chromedp.ID("code"), offlineCode(t, dev, 0)),
		chromedp.Click(chromedp.ID("code-submit")),
	)
	other.waitPath("/private?x=1")
	g.caddyCLI("unblock", "jay@example.com")
	startLogin(laptop, g.base, "jay@example.com")
	code := laptop.text("#code")
	id := eval[string](laptop, `document.getElementById("wait").dataset.id`)
	if st, err := dev.Decide(t.Context(), id, "approve", atoi(t, code)); err != nil || st != "approved" {
		t.Fatalf("approve after unblock: %q %v", st, err)
	}
	laptop.waitPath("/private?x=1")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}
