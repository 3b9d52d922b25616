package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTapToNavigationLatency measures, 20 times, the time from the tap on
// the phone's Approve button to the laptop's arrival on the protected
// page, through the real pages: the phone's signed decision, the waiting
// page's event stream, its /auth/check call that sets the cookie, and the
// navigation. Both times are read from the pages' own clocks (one
// browser, one machine clock). It logs the median and asserts nothing
// about time: the machine is shared.
func TestTapToNavigationLatency(t *testing.T) {
	const runs = 20
	g := browserGate(t, storeLine(""), "pushes_per_email 100\n\t\tpushes_per_ip 1000")
	chrome := startChromium(t)
	laptop := newTab(t, chrome, "laptop", laptopScreen, nil)
	phone := newTab(t, chrome, "phone", phoneScreen, nil)
	enrolPhone(phone, g.enrollmentLink("erin@example.com").Link)

	var toStart, toLoaded []time.Duration
	for i := 0; i < runs; i++ {
		code := startLogin(laptop, g.base, "erin@example.com")
		waitRequest(phone)
		tapNumber(phone, code)
		// Record the tap as the page sees it, before the app's handler.
		eval[bool](phone, `(() => {
			const b = document.querySelector("#requests .request .approve");
			b.addEventListener("click", () => { window.tappedAt = performance.timeOrigin + performance.now(); }, { capture: true, once: true });
			return true;
		})()`)
		phone.do(chromedp.Click(chromedp.CSS(requestSel + " .approve")))
		laptop.waitPath("/private?x=1")
		tapped := eval[float64](phone, `window.tappedAt`)
		nav := eval[[]float64](laptop, `(() => {
			const n = performance.getEntriesByType("navigation")[0];
			return [performance.timeOrigin, performance.timeOrigin + (n.loadEventEnd || n.responseEnd)];
		})()`)
		toStart = append(toStart, ms(nav[0]-tapped))
		toLoaded = append(toLoaded, ms(nav[1]-tapped))
		phone.waitFor("the card to go", `document.querySelectorAll("#requests .request").length === 0`)
		// Sign out, so the next run starts at the gate again.
		laptop.do(chromedp.Navigate(g.base + "/.authgate/"))
		laptop.waitPath("/.authgate/")
		laptop.do(chromedp.Click(chromedp.ID("logout")))
		laptop.waitPath("/.authgate/login?logged_out=1")
	}
	t.Logf("tap to navigation start over %d runs: median %v (min %v, max %v)", runs, median(toStart), slices.Min(toStart), slices.Max(toStart))
	t.Logf("tap to protected page loaded over %d runs: median %v (min %v, max %v)", runs, median(toLoaded), slices.Min(toLoaded), slices.Max(toLoaded))
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
