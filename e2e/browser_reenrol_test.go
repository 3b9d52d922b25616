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

// TestUseThisBrowserAsksWhenAlreadySetUp enrols a laptop through "Use
// this browser instead", then opens another account's link there: the
// same choice asks before it replaces the laptop's key.
func TestUseThisBrowserAsksWhenAlreadySetUp(t *testing.T) {
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, nil)
	for i, email := range []string{"nina@example.com", "mallory@example.com"} {
		laptop.do(chromedp.Navigate(g.enrollmentLink(email).Link))
		laptop.waitFor("the QR code", `!document.getElementById("view-handoff").hidden`)
		laptop.do(chromedp.Click(chromedp.ID("handoff-here")))
		if i == 0 {
			laptop.waitFor("the app to be set up", `!document.getElementById("view-recovery").hidden`)
			laptop.do(chromedp.Click(chromedp.ID("recovery-done")))
			laptop.waitFor("the app to be live", `!document.getElementById("view-main").hidden && document.getElementById("conn").dataset.state === "live"`)
			continue
		}
		laptop.waitFor("the replace question", `!document.getElementById("view-replace").hidden`)
		if got := laptop.text("#replace-email"); got != "nina@example.com" {
			t.Fatalf("the question names %q", got)
		}
		laptop.do(chromedp.Click(chromedp.ID("replace-keep")))
		laptop.waitFor("the app to be live", `!document.getElementById("view-main").hidden && document.getElementById("conn").dataset.state === "live"`)
		if got := laptop.text("#me-email"); got != "nina@example.com" {
			t.Fatalf("after keeping, the laptop approves for %q", got)
		}
	}
}
