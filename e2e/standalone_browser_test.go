package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/gate/device/deviceclient"
)

// The widget tests serve app pages from other origins than the gate
// (http://localhost:<port>, another site than the gate's 127.0.0.1):
// one origin my-app lists, one it does not.

// recordFetches keeps every JSON answer the page's fetch gets in
// window.__answers, without touching the page's own code.
const recordFetches = `(function () {
  var f = window.fetch;
  window.__answers = [];
  window.fetch = function () {
    return f.apply(this, arguments).then(function (r) {
      r.clone().json().then(function (d) { window.__answers.push(d); }).catch(function () {});
      return r;
    });
  };
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective + " " + e.blockedURI); });
})();`

// initScript runs src in every document the tab opens, before its own
// scripts.
func initScript(src string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return chromedp.Void{}, err
	}
}

// appSite serves the pages of an app on its own origin.
type appSite struct {
	*httptest.Server
	origin string       // http://localhost:<port>
	gate   atomic.Value // the gate's base URL, set once it runs
}

// strictCSP is the host page's policy for our widget: scripts from the
// page itself and the gate, connections to the gate, nothing inline.
func strictCSP(gate string) string {
	return "default-src 'none'; script-src 'self' " + gate + "; connect-src " + gate +
		"; img-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}

func newAppSite(t *testing.T, guide string) *appSite {
	s := &appSite{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gate, _ := s.gate.Load().(string)
		switch r.URL.Path {
		case "/guide":
			// The guide's widget: its two constants and its placeholder
			// email changed, nothing else.
			html := strings.Replace(guide, "const AUTHGATE = 'https://authgate.cloud';", "const AUTHGATE = '"+gate+"';", 1)
			html = strings.Replace(html, "const APP_ID = 'your-app-id';", "const APP_ID = 'my-app';", 1)
			html = strings.Replace(html, "email: 'user'", "email: 'widget@example.com'", 1)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html>\n<html><head><title>Guide widget</title></head><body>\n%s</body></html>\n", html)
		case "/ours":
			w.Header().Set("Content-Security-Policy", strictCSP(gate))
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Our widget</title></head>
<body>
<h1>Example app</h1>
<div id="authgate-widget" data-app-id="my-app"></div>
<p id="token"></p>
<script src="%s/.authgate/widget.js"></script>
<script src="/host.js"></script>
</body></html>
`, gate)
		case "/host.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `document.getElementById("authgate-widget").addEventListener("authgate:approved", function (e) {
  document.getElementById("token").textContent = e.detail.token;
});
`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	s.origin = "http://localhost:" + u.Port()
	return s
}

// takeErrors returns and forgets the tab's uncaught script exceptions.
func (tb *tab) takeErrors() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	errs := tb.errs
	tb.errs = nil
	return errs
}

// approveShown waits for the login on dev, checks that the number the
// page shows is the login's, and approves it.
func approveShown(t *testing.T, dev *deviceclient.Client, shown string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := dev.WaitPending(ctx, 20*time.Millisecond)
	if err != nil {
		t.Fatalf("waiting for the push: %v", err)
	}
	if strings.Contains(p.SessionID, ".") {
		t.Fatalf("the phone sees the session handle %q", p.SessionID)
	}
	n, err := strconv.Atoi(shown)
	if err != nil {
		t.Fatalf("the page shows %q, not a number", shown)
	}
	if status, err := dev.Decide(ctx, p.SessionID, "approve", n); err != nil || status != "approved" {
		t.Fatalf("approving with the number shown: %q %v", status, err)
	}
}

// verifyAppToken checks token with the guide's /auth/verify: valid, for
// my-app and email.
func verifyAppToken(t *testing.T, g *gate, token, email string) {
	t.Helper()
	if token == "" {
		t.Fatal("the page holds no token")
	}
	var v struct {
		Valid bool   `json:"valid"`
		AppID string `json:"app_id"`
		Email string `json:"email"`
	}
	apiCall(t, http.MethodGet, g.base+"/auth/verify?app_id=my-app&token="+url.QueryEscape(token), nil, "", &v)
	if !v.Valid || v.AppID != "my-app" || v.Email != email {
		t.Fatalf("the page's token verifies as %+v", v)
	}
}

func TestGuideWidgetWorksFromAListedOriginOnly(t *testing.T) {
	guide := guideFile(t, "widget.html")
	listed, unlisted := newAppSite(t, guide), newAppSite(t, guide)
	g := startStandalone(t, storeLine(""), []string{listed.origin}, "")
	listed.gate.Store(g.base)
	unlisted.gate.Store(g.base)
	dev := g.enroll("widget@example.com")

	chrome := startChromium(t)
	app := newTab(t, chrome, "app", laptopScreen, nil)
	app.do(initScript(recordFetches))

	// From an origin my-app does not list, the browser blocks the call.
	app.do(chromedp.Navigate(unlisted.origin + "/guide"))
	app.do(chromedp.Click(chromedp.ID("ag-btn")))
	deadline := time.Now().Add(stepTimeout)
	var errs []string
	for time.Now().Before(deadline) && len(errs) == 0 {
		errs = app.takeErrors()
		time.Sleep(20 * time.Millisecond)
	}
	if len(errs) == 0 || !strings.Contains(strings.Join(errs, " "), "Failed to fetch") {
		t.Fatalf("from an unlisted origin: exceptions %q, want the browser's Failed to fetch", errs)
	}
	if shown := eval[string](app, `document.getElementById("ag-code").textContent`); shown != "" {
		t.Fatalf("from an unlisted origin the widget shows %q", shown)
	}
	if p, err := dev.Pending(context.Background()); err != nil || len(p) != 0 {
		t.Fatalf("a login started from an unlisted origin: %v %v", p, err)
	}

	// From the listed origin: the number, the phone, APPROVED, a token.
	app.do(chromedp.Navigate(listed.origin + "/guide"))
	app.do(chromedp.Click(chromedp.ID("ag-btn")))
	app.waitFor("the number", `/^[0-9]{2}$/.test(document.getElementById("ag-code").textContent)`)
	code := app.text("#ag-code")
	approveShown(t, dev, code)
	app.waitFor("APPROVED", `document.getElementById("ag-code").textContent === "APPROVED"`)
	token := eval[string](app, `(window.__answers.find(function (a) { return a.token; }) || {}).token || ""`)
	verifyAppToken(t, g, token, "widget@example.com")
	if errs := app.takeErrors(); len(errs) != 0 {
		t.Fatalf("the guide's widget threw %q", errs)
	}
}

func TestOurWidgetWorksUnderAStrictCSP(t *testing.T) {
	listed, unlisted := newAppSite(t, ""), newAppSite(t, "")
	g := startStandalone(t, storeLine(""), []string{listed.origin}, "")
	listed.gate.Store(g.base)
	unlisted.gate.Store(g.base)
	dev := g.enroll("widget@example.com")
	shots := newShooter(t)

	chrome := startChromium(t)
	app := newTab(t, chrome, "app", laptopScreen, shots)
	app.do(initScript(recordFetches))

	app.do(chromedp.Navigate(unlisted.origin + "/ours"))
	app.do(
		chromedp.WaitVisible(chromedp.CSS("input.authgate-email")),
		chromedp.SendKeys(chromedp.CSS("input.authgate-email"), "widget@example.com"),
		chromedp.Click(chromedp.CSS("button.authgate-button")),
	)
	app.waitFor("the error state", `document.getElementById("authgate-widget").dataset.state === "error"`)
	if p, err := dev.Pending(context.Background()); err != nil || len(p) != 0 {
		t.Fatalf("a login started from an unlisted origin: %v %v", p, err)
	}

	app.do(chromedp.Navigate(listed.origin + "/ours"))
	app.do(chromedp.WaitVisible(chromedp.CSS("button.authgate-button")))
	app.shoot("widget-idle")
	app.do(
		chromedp.SendKeys(chromedp.CSS("input.authgate-email"), "widget@example.com"),
		chromedp.Click(chromedp.CSS("button.authgate-button")),
	)
	app.waitFor("the number", `/^[0-9]{2}$/.test(document.querySelector(".authgate-code").textContent)`)
	app.shoot("widget-number")
	approveShown(t, dev, app.text(".authgate-code"))
	app.waitFor("APPROVED", `document.getElementById("authgate-widget").dataset.state === "approved" && document.getElementById("token").textContent !== ""`)
	app.shoot("widget-approved")
	if got := app.text(".authgate-code"); got != "APPROVED" {
		t.Fatalf("the widget shows %q", got)
	}
	verifyAppToken(t, g, app.text("#token"), "widget@example.com")
	if v := eval[[]string](app, `window.__csp`); len(v) != 0 {
		t.Fatalf("CSP violations on the host page: %q", v)
	}
	// It followed the login with server-sent events and checked once, to collect.
	streams := eval[int](app, `performance.getEntriesByType("resource").filter(function (e) { return e.name.indexOf("/auth/events/") >= 0; }).length`)
	checks := eval[int](app, `performance.getEntriesByType("resource").filter(function (e) { return e.name.indexOf("/auth/check/") >= 0; }).length`)
	if streams != 1 || checks != 1 {
		t.Fatalf("the widget opened %d event streams and made %d checks, want 1 and 1", streams, checks)
	}

	// A denied login shows its outcome.
	app.do(chromedp.Click(chromedp.CSS("button.authgate-button")))
	app.waitFor("the number", `document.getElementById("authgate-widget").dataset.state === "pending"`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := dev.WaitPending(ctx, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dev.Decide(ctx, p.SessionID, "deny", 0); err != nil {
		t.Fatal(err)
	}
	app.waitFor("DENIED", `document.getElementById("authgate-widget").dataset.state === "denied" && document.querySelector(".authgate-code").textContent === "DENIED"`)
	app.shoot("widget-denied")
}

// TestTheGuidesAppPathOpensAnApproverItsWorkerControls: the guide says to
// approve "from /app". A phone that opens an enrolment link there ends up
// in the approver under the gate path, where its service worker is ready
// (without one, notifications can never be turned on).
func TestTheGuidesAppPathOpensAnApproverItsWorkerControls(t *testing.T) {
	g := startStandalone(t, storeLine(""), nil, "")
	e := g.enrollmentLink("phone@example.com")
	link := strings.Replace(e.Link, "/.authgate/app#", "/app#", 1)
	if link == e.Link {
		t.Fatalf("the enrolment link %q is not at /.authgate/app", e.Link)
	}
	chrome := startChromium(t)
	phone := newTab(t, chrome, "phone", phoneScreen, nil)
	enrolPhone(phone, link)
	phone.do(chromedp.Evaluate[chromedp.Void](`navigator.serviceWorker.ready.then(function (r) { window.__swScope = r.scope; });`))
	phone.waitFor("a ready service worker", `window.__swScope === location.origin + "/.authgate/app"`)
}
