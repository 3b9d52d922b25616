package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserApproverNoticesMakeWayForTheNextRequest: the approver app's
// notices are about what came before, so a new request clears them: the
// first visit's "This phone is set up", an approval's result and a wrong
// tap's "Denied" do not stay above the next request's card.
func TestBrowserApproverNoticesMakeWayForTheNextRequest(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, nil)
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	const email = "nora@example.com"
	hidden := func(id string) bool { return eval[bool](phone, `document.getElementById("`+id+`").hidden`) }

	enrolPhone(phone, g.enrollmentLink(email).Link)
	if hidden("welcome") {
		t.Fatal(`the first visit does not say "This phone is set up"`)
	}
	startLogin(laptop, g.base, email)
	waitRequest(phone)
	if !hidden("welcome") {
		t.Error(`"This phone is set up" stays above the first request`)
	}
	phone.shoot("notices-first-request")

	// A denial's result, then the next request; then an approval's.
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .deny")))
	phone.waitFor("the denial's result", `!document.getElementById("result").hidden && document.querySelectorAll("#requests .request").length === 0`)
	waitDeniedPage(laptop) // its own reload would abort the next navigation
	code := startLogin(laptop, g.base, email)
	waitRequest(phone)
	if !hidden("result") {
		t.Errorf("the last result %q stays above the next request", phone.text("#result-text"))
	}
	tapNumber(phone, code)
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .approve")))
	laptop.waitPath("/private?x=1")
	phone.waitFor("the approval's result", `!document.getElementById("result").hidden && document.getElementById("result").dataset.kind === "ok"`)
	phone.shoot("notices-approved")

	// A wrong tap's "Denied", then the next request, from a browser
	// not yet signed in.
	laptop = newTab(t, chrome, "second laptop", laptopScreen, nil)
	code = startLogin(laptop, g.base, email)
	waitRequest(phone)
	if !hidden("result") {
		t.Errorf("the approval's result %q stays above the next request", phone.text("#result-text"))
	}
	tapNumber(phone, otherChoice(phone, code))
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .approve")))
	phone.waitFor("the wrong tap's result", `!document.getElementById("result").hidden && document.getElementById("result").dataset.kind === "bad"`)
	waitDeniedPage(laptop)
	startLogin(laptop, g.base, email)
	waitRequest(phone)
	if !hidden("result") {
		t.Errorf("the wrong tap's result %q stays above the next request", phone.text("#result-text"))
	}
	phone.shoot("notices-next-request")
}

// waitDeniedPage waits for the laptop's waiting page to have reloaded
// itself on the denial, as it does, and to show it.
func waitDeniedPage(laptop *tab) {
	laptop.t.Helper()
	laptop.waitFor("the denied page", `document.readyState === "complete" && document.getElementById("wait")?.dataset.state === "denied"`)
}
