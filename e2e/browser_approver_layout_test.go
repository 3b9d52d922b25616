package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserApproverLongNamesStayInsideThePage has the approver app show
// what others typed at its longest, in one word each: the phone renamed
// to a 64-character name, and a request for the longest address from an
// app whose id and title are as long as the gate takes, with its report
// confirmation and result. At phone and laptop size nothing may widen
// the page past the window or stick out of its card.
func TestBrowserApproverLongNamesStayInsideThePage(t *testing.T) {
	longAppID := strings.Repeat("app", 21) + "x" // 64
	longTitle := strings.Repeat("Title", 16)     // 80, brand.MaxTitleLen
	g := startGateWith(t, storeLine(""), newUpstream(t), gateLines{directive: "app_id " + longAppID + "\n\t\ttitle " + longTitle})
	shots := newShooter(t)
	chrome := startChromium(t)
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	laptop := newTab(t, chrome, "laptop", laptopScreen, nil)
	check := func(what string) {
		t.Helper()
		phone.checkLayout(what, phoneScreen, "")
		phone.checkLayout(what, laptopScreen, "")
		phone.do(chromedp.Emulate(phoneScreen))
		eval[bool](phone, `(window.scrollTo(0, 0), true)`)
	}

	enrolPhone(phone, g.enrollmentLink(longestEmail).Link)
	check("the app, set up")

	// Rename the phone: the banner and the phone's panel name it.
	phone.do(chromedp.Click(chromedp.CSS("#device-box summary")))
	eval[bool](phone, `(document.getElementById("rename").value = "") === ""`)
	phone.do(
		chromedp.SendKeys(chromedp.ID("rename"), longDeviceName),
		chromedp.Click(chromedp.CSS("#rename-form button")),
	)
	phone.waitFor("the new name", `document.getElementById("me-name").textContent === `+jsString(longDeviceName)+` && !document.getElementById("result").hidden`)
	check("the app after renaming")
	phone.shoot("approver-long-renamed")

	// A request from the long app, for the long address.
	startLogin(laptop, g.base, longestEmail)
	waitRequest(phone)
	if got := phone.text(requestSel + " .req-app"); got != longAppID {
		t.Fatalf("the card names app %q", got)
	}
	check("the request card")
	phone.shoot("approver-long-request")
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .report")))
	phone.waitFor("the report confirmation", `!document.querySelector("#requests .request .confirm").hidden`)
	check("the report confirmation")
	phone.shoot("approver-long-report-confirm")
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .confirm-report")))
	phone.waitFor("the report's result", `document.getElementById("result").textContent.includes("paused")`)
	check("the report's result")
	phone.shoot("approver-long-reported")
}
