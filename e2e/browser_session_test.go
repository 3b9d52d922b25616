package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserRevokeLogoutAndRemovePhone: from the account page a user
// signs out another browser (which is sent back to the gate), removes
// their phone (whose app then says so), and signs out.
func TestBrowserRevokeLogoutAndRemovePhone(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	other := newTab(t, chrome, "other laptop", laptopScreen, nil)
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	enrolPhone(phone, g.enrollmentLink("dave@example.com").Link)

	loginWithPhone(laptop, phone, g.base, "dave@example.com")
	loginWithPhone(other, phone, g.base, "dave@example.com")

	laptop.do(chromedp.Navigate(g.base + "/.authgate/"))
	laptop.waitPath("/.authgate/")
	if n := eval[int](laptop, `document.querySelectorAll("#sessions .item").length`); n != 2 {
		t.Fatalf("the account page lists %d sessions, want 2", n)
	}
	laptop.shoot("account-two-sessions")

	// Revoke the other browser's session: the one not marked as this one.
	laptop.do(chromedp.Click(chromedp.CSS(`#sessions .item:not(:has(.tag)) button`)))
	laptop.waitPath("/.authgate/?removed=session")
	if n := eval[int](laptop, `document.querySelectorAll("#sessions .item").length`); n != 1 {
		t.Fatalf("after revoking, the account page lists %d sessions", n)
	}
	laptop.shoot("account-session-revoked")
	other.do(chromedp.Navigate(g.base + "/private?x=1"))
	other.waitPath("/.authgate/login?rd=%2Fprivate%3Fx%3D1")

	// Remove the phone: its app learns it is no longer enrolled.
	laptop.do(chromedp.Click(chromedp.CSS(`#devices .item button`)))
	laptop.waitPath("/.authgate/?removed=device")
	if got := laptop.text("#devices"); !strings.Contains(got, "No phone is enrolled") {
		t.Fatalf("after removing the phone the account page says %q", got)
	}
	laptop.shoot("account-phone-removed")
	phone.waitFor("the removed view", `!document.getElementById("view-revoked").hidden`)
	phone.shoot("app-removed")

	// Sign out.
	laptop.do(chromedp.Click(chromedp.ID("logout")))
	laptop.waitPath("/.authgate/login?logged_out=1")
	if got := laptop.text(".notice"); !strings.Contains(got, "signed out") {
		t.Fatalf("after signing out the page says %q", got)
	}
	laptop.shoot("logged-out")
	laptop.do(chromedp.Navigate(g.base + "/private?x=1"))
	laptop.waitPath("/.authgate/login?rd=%2Fprivate%3Fx%3D1")
}
