package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The approver app's times, as the gate's pages write theirs: "3 Dec
// 2026, 19:00 " and the zone, or the clock alone for a time later today.
var (
	appFullTime  = `([1-9]|[12][0-9]|3[01]) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20[0-9]{2}, ([01][0-9]|2[0-3]):[0-5][0-9] `
	appClockTime = `(` + appFullTime + `|([01][0-9]|2[0-3]):[0-5][0-9] )`
)

// TestBrowserApproverTimesReadLikeTheGatePages has a phone in India
// (UTC+5:30, no summer time) show every time the approver app shows:
// when the phone was enrolled, when a request was made, until when a
// report blocks sign-ins (asked, then done) and the history. Each reads
// day, month, year, a 24-hour clock and the phone's zone named; the
// pause's end is the instant the laptop's page gives in UTC.
func TestBrowserApproverTimesReadLikeTheGatePages(t *testing.T) {
	shots := newShooter(t)
	g := browserGate(t, storeLine(""), "")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, nil)
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	ctx, cancel := context.WithTimeout(phone.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kolkata"}); err != nil {
		t.Fatalf("the phone's time zone: %v", err)
	}
	const email = "ravi@example.com"
	const zone = "GMT+5:30"
	want := func(what, got, pattern string) {
		t.Helper()
		if !regexp.MustCompile(pattern).MatchString(got) {
			t.Errorf("%s reads %q, want it to match %s", what, got, pattern)
		}
	}
	q := regexp.QuoteMeta

	enrolPhone(phone, g.enrollmentLink(email).Link)
	phone.waitFor("the phone's record", `document.getElementById("me-since").textContent !== ""`)
	want("the phone's panel", eval[string](phone, `document.getElementById("me-since").textContent`), `^Enrolled `+appFullTime+q(zone)+`$`)

	startLogin(laptop, g.base, email)
	waitRequest(phone)
	want("the request's time", phone.text(requestSel+" .req-time"), `^`+appFullTime+q(zone)+`$`)
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .report")))
	phone.waitFor("the report confirmation", `!document.querySelector("#requests .request .confirm").hidden`)
	want("the report confirmation", phone.text(requestSel+" .confirm-text"), ` until `+appClockTime+q(zone)+q(". Report it?")+`$`)
	phone.shoot("times-report-confirm")
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .confirm-report")))
	phone.waitFor("the report's result", `document.getElementById("result").textContent.includes("paused until")`)
	result := phone.text("#result-text")
	want("the report's result", result, ` paused until `+appClockTime+q(zone)+q(". Your administrator can lift it.")+`$`)
	want("the history", phone.text("#history li .meta"), ` · `+appFullTime+q(zone)+`$`)
	phone.shoot("times-reported")

	// The laptop says the same instant in UTC, 5 h 30 min earlier.
	laptop.waitFor("the paused state", `!!document.getElementById("state-paused")`)
	utc := regexp.MustCompile(`until ([0-2][0-9]):([0-5][0-9]) UTC`).FindStringSubmatch(laptop.text("#paused"))
	local := regexp.MustCompile(`until (?:.*, )?([0-2][0-9]):([0-5][0-9]) `).FindStringSubmatch(result)
	if utc == nil || local == nil {
		t.Fatalf("no times to compare: laptop %q, phone %q", laptop.text("#paused"), result)
	}
	minutes := func(m []string) int { return atoi(t, m[1])*60 + atoi(t, m[2]) }
	if d := (minutes(local) - minutes(utc) + 24*60) % (24 * 60); d != 5*60+30 {
		t.Errorf("the phone says paused until %s:%s, the laptop %s:%s UTC", local[1], local[2], utc[1], utc[2])
	}
	if strings.Contains(result, "AM") || strings.Contains(result, "PM") {
		t.Errorf("the phone uses a 12-hour clock: %q", result)
	}
}
