package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEnrolledPhoneAsksBeforeAnotherLink opens a second enrolment link,
// of another account, on a phone that already approves for alice: the
// app names alice and asks first, so a link someone sends her cannot
// silently swap her phone's key for a device on their account. Keeping
// leaves alice's device as it was; setting up again enrols the new link.
func TestEnrolledPhoneAsksBeforeAnotherLink(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	enrolPhone(phone, g.enrollmentLink("alice@example.com").Link)

	other := g.enrollmentLink("mallory@example.com")
	phone.do(chromedp.Navigate(other.Link))
	phone.waitFor("the replace question", `!document.getElementById("view-replace").hidden`)
	if got := phone.text("#replace-email"); got != "alice@example.com" {
		t.Fatalf("the question names %q, want the phone's own account", got)
	}
	phone.shoot("app-replace")
	phone.checkAccessibility("approver app, already set up")
	phone.do(chromedp.Click(chromedp.ID("replace-keep")))
	phone.waitFor("the app to be live again", `!document.getElementById("view-main").hidden && document.getElementById("conn").dataset.state === "live"`)
	if got := phone.text("#me-email"); got != "alice@example.com" {
		t.Fatalf("after keeping, the phone approves for %q", got)
	}

	phone.do(chromedp.Navigate(other.Link))
	phone.waitFor("the replace question", `!document.getElementById("view-replace").hidden`)
	phone.do(chromedp.Click(chromedp.ID("replace-go")))
	phone.waitFor("the app to be set up", `!document.getElementById("view-main").hidden || !document.getElementById("view-recovery").hidden`)
	if eval[bool](phone, `!document.getElementById("view-recovery").hidden`) {
		phone.do(chromedp.Click(chromedp.ID("recovery-done")))
	}
	phone.waitFor("the app to be live", `!document.getElementById("view-main").hidden && document.getElementById("conn").dataset.state === "live"`)
	if got := phone.text("#me-email"); got != "mallory@example.com" {
		t.Fatalf("after setting up again, the phone approves for %q", got)
	}
}
