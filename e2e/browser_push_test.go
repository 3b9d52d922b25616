package e2e

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/gate/push"
	"github.com/authgate/authgate/gate/web"
)

// evalAwait evaluates a script expression whose value is a promise.
func evalAwait[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: evaluating %s: %v", tb.name, expr, err)
	}
	return v
}

// swRegistration returns the id of the approver's service worker
// registration in the phone's browser context, from the ServiceWorker
// domain's events.
func swRegistration(t *testing.T, phone *tab, scope string) serviceworker.RegistrationID {
	t.Helper()
	ctx, cancel := context.WithTimeout(phone.ctx, stepTimeout)
	defer cancel()
	found := make(chan serviceworker.RegistrationID, 1)
	go func() {
		for ev, err := range chromedp.Events(ctx, serviceworker.WorkerRegistrationUpdated) {
			if err != nil {
				return
			}
			for _, r := range ev.Registrations {
				if r.ScopeURL == scope && !r.IsDeleted {
					found <- r.RegistrationID
					return
				}
			}
		}
	}()
	if _, err := chromedp.Call(ctx, serviceworker.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("ServiceWorker.enable: %v", err)
	}
	select {
	case id := <-found:
		return id
	case <-ctx.Done():
		t.Fatalf("no service worker registration for %s", scope)
		return ""
	}
}

// inServiceWorker evaluates expr (a promise) in the approver's service
// worker of the phone's browser context and returns its JSON value.
func inServiceWorker(t *testing.T, phone *tab, expr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(phone.ctx, stepTimeout)
	defer cancel()
	bctx := chromedp.FromContext(phone.ctx).BrowserContextID
	var id target.ID
	for id == "" {
		// A message wakes the worker if the browser stopped it while idle.
		evalAwait[bool](phone, `navigator.serviceWorker.ready.then(r => { r.active.postMessage({type: "ping"}); return true; })`)
		targets, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range targets {
			if ti.Type == "service_worker" && strings.HasSuffix(ti.URL, "/.authgate/assets/sw.js") && ti.BrowserContextID == bctx {
				id = ti.TargetID
			}
		}
		if id == "" && ctx.Err() != nil {
			t.Fatal("the approver's service worker is not running")
		}
		time.Sleep(20 * time.Millisecond)
	}
	swCtx, swCancel := chromedp.NewContext(phone.ctx, chromedp.WithTargetID(id))
	defer swCancel()
	res, err := chromedp.Call(swCtx, runtime.Evaluate, runtime.EvaluateParams{
		Expression: expr, AwaitPromise: ptrTo(true), ReturnByValue: ptrTo(true),
	})
	if err != nil {
		t.Fatalf("evaluating in the service worker: %v", err)
	}
	if res.ExceptionDetails != nil {
		t.Fatalf("service worker: %s", res.ExceptionDetails.Text)
	}
	return string(res.Result.Value)
}

func ptrTo[T any](v T) *T { return &v }

func containsTrue(m map[string]bool) bool {
	for _, v := range m {
		if v {
			return true
		}
	}
	return false
}

// grantNotifications grants the phone's browser context, for origin,
// what a user's "Allow" gives: notifications and push.
func grantNotifications(t *testing.T, phone *tab, origin string) {
	t.Helper()
	for _, perm := range []*cdpbrowser.PermissionDescriptor{{Name: "notifications"}, {Name: "push", UserVisibleOnly: true}} {
		if _, err := chromedp.CallBrowser(phone.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: perm, Setting: cdpbrowser.PermissionSettingGranted,
			Origin: origin, BrowserContextID: chromedp.FromContext(phone.ctx).BrowserContextID,
		}); err != nil {
			t.Fatalf("granting %s: %v", perm.Name, err)
		}
	}
}

// notificationsJS lists the notifications of the approver's service
// worker from any page of the gate's origin, the approver or another.
const notificationsJS = `navigator.serviceWorker.getRegistration("/.authgate/app").then(r => r ? r.getNotifications() : [])`

// shownNotification is what the page reads of a notification the
// approver's service worker shows.
type shownNotification struct {
	Title string         `json:"title"`
	Body  string         `json:"body"`
	Tag   string         `json:"tag"`
	Data  map[string]any `json:"data"`
}

// pushUntilShown delivers a push message to the approver's service
// worker and returns the notifications it shows. Headless Chromium
// sometimes drops a notification the worker did show (its notification
// store is reconciled with a display that headless mode lacks), so a
// push whose notification is not listed within a few seconds is
// delivered again, as a push service redelivers an unacknowledged
// message; the notification's tag makes a second showing replace the
// first.
func pushUntilShown(t *testing.T, phone *tab, origin string, reg serviceworker.RegistrationID, data []byte) []shownNotification {
	t.Helper()
	const tries = 3
	for try := 1; ; try++ {
		if _, err := chromedp.Call(phone.ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{
			Origin: origin, RegistrationID: reg, Data: string(data),
		}); err != nil {
			t.Fatalf("ServiceWorker.deliverPushMessage: %v", err)
		}
		deadline := time.Now().Add(stepTimeout / tries)
		for time.Now().Before(deadline) {
			raw := evalAwait[string](phone, notificationsJS+`.then(ns => JSON.stringify(ns.map(n => ({title: n.title, body: n.body, tag: n.tag, data: n.data}))))`)
			var shown []shownNotification
			if err := json.Unmarshal([]byte(raw), &shown); err != nil {
				t.Fatal(err)
			}
			if len(shown) > 0 {
				return shown
			}
			time.Sleep(20 * time.Millisecond)
		}
		if try == tries {
			t.Fatalf("%d pushes showed no notification", tries)
		}
		t.Logf("push %d showed no notification yet; delivering it again", try)
	}
}

// waitNotifications waits until the approver's service worker shows n
// notifications.
func waitNotifications(t *testing.T, phone *tab, n int) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		got := evalAwait[int](phone, notificationsJS+`.then(ns => ns.length)`)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notifications shown, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBrowserPushNotificationOpensTheApprover delivers a push to the
// approver's service worker through the DevTools protocol: the worker
// shows the notification (without the number), a click on it opens the
// approver at that request, the number is tapped there and the laptop is
// signed in.
func TestBrowserPushNotificationOpensTheApprover(t *testing.T) {
	chrome := startChromium(t)
	g := browserGate(t, "store memory", "push_contact mailto:ops@example.com")
	shots := newShooter(t)
	const email = "rosa@example.com"
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	grantNotifications(t, phone, g.base)
	enrolPhone(phone, g.enrollmentLink(email).Link)
	phone.waitFor("the notifications box", `document.getElementById("notif-box").dataset.state === "off" && !document.getElementById("notif-on").hidden`)
	phone.shoot("push-app-notifications-off")
	// A tap asks for the subscription. Headless Chromium has no push
	// service to subscribe at, so the app must say so plainly (a
	// subscription that works is registered as in TestPushReachesAWebPushServiceThatIsNotOurs).
	phone.do(chromedp.Click(chromedp.ID("notif-on")))
	phone.waitFor("the answer to the tap", `["on", "error"].includes(document.getElementById("notif-box").dataset.state)`)
	if msg := phone.text("#notif-text"); eval[string](phone, `document.getElementById("notif-box").dataset.state`) == "error" &&
		(!strings.HasPrefix(msg, "Notifications could not be turned on: ") || eval[bool](phone, `document.getElementById("notif-on").hidden`)) {
		t.Fatalf("a failed subscription says %q, or offers no retry", msg)
	}
	if !evalAwait[bool](phone, `navigator.serviceWorker.ready.then(r => !!r.active)`) {
		t.Fatal("no active service worker")
	}
	reg := swRegistration(t, phone, g.base+"/.authgate/app")

	code := startLogin(laptop, g.base, email)
	laptop.waitFor("the approver link", `document.getElementById("approver-open").href.endsWith("/.authgate/app")`)
	// "Didn't get it?" holds the approver's address and, on a laptop, its
	// QR code.
	eval[bool](laptop, `document.getElementById("help").open = true`)
	laptop.waitFor("the approver QR code", `document.getElementById("approver-link").href.endsWith("/.authgate/app") && document.getElementById("approver-qr").naturalWidth > 0`)
	laptop.shoot("push-wait-page")
	loginID := strings.TrimPrefix(eval[string](laptop, `location.pathname`), "/.authgate/wait/")

	// The phone's app is in the background, on its plain address.
	phone.do(chromedp.Navigate(g.base + "/.authgate/app"))
	phone.waitFor("the app", `!document.getElementById("view-main").hidden`)
	ua := eval[string](laptop, `navigator.userAgent`)
	payload := push.LoginPayload(loginID, "e2e", strings.TrimPrefix(g.base, "http://"), web.BrowserName(ua), time.Now().Add(time.Minute))
	shown := pushUntilShown(t, phone, g.base, reg, payload.Encode())
	n := shown[0]
	if n.Title != payload.Title || !strings.HasPrefix(n.Body, "From "+web.BrowserName(ua)) || n.Data["login_id"] != loginID {
		t.Fatalf("notification %+v", n)
	}
	if regexp.MustCompile(`\b` + code + `\b`).MatchString(n.Title + " " + n.Body) {
		t.Fatalf("the notification shows the number %s: %+v", code, n)
	}

	// A click on the notification, as the browser dispatches it.
	clicked := inServiceWorker(t, phone, `self.registration.getNotifications().then(ns => {
		self.dispatchEvent(new NotificationEvent("notificationclick", {notification: ns[0]}));
		return ns.length;
	})`)
	if clicked != "1" {
		t.Fatalf("clicked %s notifications", clicked)
	}
	want := strconv.Quote("#request=" + loginID)
	phone.waitFor("the approver at the request", `location.hash === `+want+` && !!document.querySelector('#requests .request.focused[data-id=`+strconv.Quote(loginID)+`]')`)
	waitNotifications(t, phone, 0) // the click closed it
	phone.shoot("push-app-opened-at-request")

	// Left unclicked, a notification closes once its request is decided.
	pushUntilShown(t, phone, g.base, reg, payload.Encode())
	waitNotifications(t, phone, 1) // one request, one notification
	tapNumber(phone, code)
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .approve")))
	laptop.waitPath("/private?x=1")
	waitNotifications(t, phone, 0)

	// The app's and the service worker's signed registration requests, in
	// the shape a browser's PushSubscription.toJSON() has (headless
	// Chromium cannot make a real subscription).
	fake := `{endpoint: "https://fcm.googleapis.com/fcm/send/e2e", expirationTime: null, keys: {p256dh: "` + validP256dh + `", auth: "AAAAAAAAAAAAAAAAAAAAAA"}}`
	if !evalAwait[bool](phone, `window.authgateApprover.signedFetch("POST", "/.authgate/device/push", `+fake+`).then(me => me.notifications === true)`) {
		t.Fatal("the app's registration was not taken")
	}
	if got := inServiceWorker(t, phone, `loadDevice().then(dev => signedPost(dev, PREFIX + "/device/push", `+fake+`)).then(r => r.status)`); got != "200" {
		t.Fatalf("the service worker's registration: %s", got)
	}
	if got := g.adminNotifications(email); len(got) != 1 || !containsTrue(got) {
		t.Fatalf("admin API after registering: %v", got)
	}
	if body := laptop.text("body"); body != "hello "+email {
		t.Fatalf("protected page says %q", body)
	}
}

// iPhoneUA is Safari on an iPhone.
const iPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

// TestBrowserApproverOnIPhoneShowsHomeScreenSteps opens the approver as
// Safari on an iPhone, not added to the Home Screen: iOS gives such a page
// no push, so the app shows how to add it instead of a button that
// cannot work.
func TestBrowserApproverOnIPhoneShowsHomeScreenSteps(t *testing.T) {
	chrome := startChromium(t)
	g := browserGate(t, "store memory", "")
	iphone := phoneScreen
	iphone.Name, iphone.UserAgent = "iphone", iPhoneUA
	phone := newTab(t, chrome, "iphone", iphone, newShooter(t))
	enrolPhone(phone, g.enrollmentLink("sam@example.com").Link)
	phone.waitFor("the Home Screen steps", `document.getElementById("notif-box").dataset.state === "ios" && !document.getElementById("notif-ios").hidden && document.getElementById("notif-on").hidden`)
	if steps := phone.text("#notif-ios"); !strings.Contains(steps, "Add to Home Screen") {
		t.Fatalf("steps say %q", steps)
	}
	phone.shoot("push-app-iphone-steps")
}

// TestBrowserApproverEnrolsFromAPastedLink sets up an app that has no
// address bar (a Home Screen app) by pasting its enrolment link.
func TestBrowserApproverEnrolsFromAPastedLink(t *testing.T) {
	chrome := startChromium(t)
	g := browserGate(t, "store memory", "")
	phone := newTab(t, chrome, "phone", phoneScreen, newShooter(t))
	phone.do(chromedp.Navigate(g.base + "/.authgate/app"))
	phone.waitFor("the setup view", `!document.getElementById("view-setup").hidden`)
	phone.shoot("push-app-setup-paste")
	phone.do(
		chromedp.SendKeys(chromedp.ID("paste-link"), g.enrollmentLink("tess@example.com").Link),
		chromedp.Click(chromedp.CSS("#paste-form button[type=submit]")),
	)
	// A user's first phone shows its recovery codes once, first.
	phone.waitFor("the app to be set up", `!document.getElementById("view-main").hidden || !document.getElementById("view-recovery").hidden`)
	if eval[bool](phone, `!document.getElementById("view-recovery").hidden`) {
		phone.do(chromedp.Click(chromedp.ID("recovery-done")))
	}
	phone.waitFor("the app to be live", `!document.getElementById("view-main").hidden && document.getElementById("conn").dataset.state === "live"`)
	if who := phone.text("#me-email"); who != "tess@example.com" {
		t.Fatalf("enrolled as %q", who)
	}
}

// TestBrowserPushNotificationClosesWhenDecidedElsewhere: with the
// approver closed, a push's notification stays while its request waits
// and closes by itself once the request is answered elsewhere (here the
// laptop cancels it) or its time runs out, with no second push.
func TestBrowserPushNotificationClosesWhenDecidedElsewhere(t *testing.T) {
	chrome := startChromium(t)
	g := browserGate(t, "store memory", "push_contact mailto:ops@example.com")
	shots := newShooter(t)
	const email = "ines@example.com"
	phone := newTab(t, chrome, "phone", phoneScreen, shots)
	laptop := newTab(t, chrome, "laptop", laptopScreen, shots)
	grantNotifications(t, phone, g.base)
	enrolPhone(phone, g.enrollmentLink(email).Link)
	if !evalAwait[bool](phone, `navigator.serviceWorker.ready.then(r => !!r.active)`) {
		t.Fatal("no active service worker")
	}
	reg := swRegistration(t, phone, g.base+"/.authgate/app")
	// The approver is closed: the phone's tab shows another page.
	phone.do(chromedp.Navigate(g.base + "/.authgate/login"))
	phone.waitFor("a page that is not the approver", `document.readyState === "complete" && !location.pathname.startsWith("/.authgate/app")`)

	startLogin(laptop, g.base, email)
	loginID := strings.TrimPrefix(eval[string](laptop, `location.pathname`), "/.authgate/wait/")
	payload := push.LoginPayload(loginID, "e2e", strings.TrimPrefix(g.base, "http://"), "Chrome", time.Now().Add(time.Minute))
	pushUntilShown(t, phone, g.base, reg, payload.Encode())
	// Still waiting: the notification stays.
	time.Sleep(time.Second)
	waitNotifications(t, phone, 1)

	eval[bool](laptop, `document.getElementById("help").open = true`)
	laptop.do(chromedp.Click(chromedp.ID("cancel")))
	laptop.waitFor("the login page again", `location.pathname === "/.authgate/login"`)
	waitNotifications(t, phone, 0)

	// A request whose time runs out closes its notification too.
	startLogin(laptop, g.base, email)
	loginID = strings.TrimPrefix(eval[string](laptop, `location.pathname`), "/.authgate/wait/")
	short := push.LoginPayload(loginID, "e2e", strings.TrimPrefix(g.base, "http://"), "Chrome", time.Now().Add(2*time.Second))
	pushUntilShown(t, phone, g.base, reg, short.Encode())
	waitNotifications(t, phone, 0)
}
