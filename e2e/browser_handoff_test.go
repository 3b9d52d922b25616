package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDesktopHandsEnrolmentToPhone opens an enrolment link on the laptop:
// it shows the link as a QR code instead of spending it, and the phone
// can then enrol with the same link.
func TestDesktopHandsEnrolmentToPhone(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	phone := newTab(t, chrome, "phone", phoneScreen, shots)

	e := g.enrollmentLink("nina@example.com")
	laptop.do(chromedp.Navigate(e.Link))
	laptop.waitFor("the QR code", `!document.getElementById("view-handoff").hidden && document.getElementById("handoff-qr").complete && document.getElementById("handoff-qr").naturalWidth > 0`)
	if loc := laptop.location(); strings.Contains(loc, "#") {
		t.Fatalf("the enrolment token is still in the laptop's address bar: %s", loc)
	}
	laptop.shoot("app-handoff")
	enrolPhone(phone, e.Link)
	if got := phone.text("#me-email"); got != "nina@example.com" {
		t.Fatalf("the phone approves for %q", got)
	}
}
