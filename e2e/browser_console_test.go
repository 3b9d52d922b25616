package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/png" // screenshots of the QR code
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/authgate/authgate/gate/device/deviceclient"
)

// consoleStepUp is the step-up window the console tests configure: long
// enough for a few clicks after an approval, short enough to wait out.
const consoleStepUp = 12 * time.Second

// consoleOptions are the global options of a gate with a console: boss is
// an admin, and a receiver that fails until told otherwise gets login
// events, retried only after an hour.
func consoleOptions(hookURL string) string {
	return fmt.Sprintf(`group admin boss@example.com
		admin_step_up %s
		webhook_schedule 0s 1h
		%s`, consoleStepUp, webhookBlock(hookURL, "events login"))
}

// flakyReceiver answers 500 until ok is set, then 204.
type flakyReceiver struct {
	*httptest.Server
	ok   atomic.Bool
	hits atomic.Int32
}

func newFlakyReceiver(t *testing.T) *flakyReceiver {
	f := &flakyReceiver{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		if f.ok.Load() {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(f.Close)
	return f
}

// approveOnDevice approves, with the Go device client, the login the tab
// is waiting for, tapping the number the page shows.
func approveOnDevice(t *testing.T, tb *tab, dev *deviceclient.Client) {
	t.Helper()
	tb.waitFor("the waiting page", `location.pathname.startsWith("/.authgate/wait/") && document.readyState === "complete" && !!document.getElementById("code")`)
	id := strings.TrimPrefix(eval[string](tb, `location.pathname`), "/.authgate/wait/")
	code, err := strconv.Atoi(tb.text("#code"))
	if err != nil {
		t.Fatalf("the waiting page's number: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if status, err := dev.Decide(ctx, id, "approve", code); err != nil || status != "approved" {
		t.Fatalf("approving on the device: %q %v", status, err)
	}
}

// click clicks sel and waits for the next page to load.
func (tb *tab) clickAndLoad(sel string) {
	tb.t.Helper()
	before := eval[float64](tb, `performance.timeOrigin`)
	tb.do(chromedp.Click(chromedp.CSS(sel)))
	tb.waitFor("the page after clicking "+sel, fmt.Sprintf(`performance.timeOrigin !== %f && document.readyState === "complete"`, before))
}

// decodeQR reads the QR code in a PNG.
func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatalf("reading the QR screenshot: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	// The image is the gate's own drawing, square and unrotated: read as
	// a pure code, the decoder takes its grid as drawn. Its finder search,
	// meant for photos, misplaces about one drawing in eighty, which the
	// pure reading decodes (and the data is the link, so the code is right).
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("decoding the QR code on the page: %v", err)
	}
	return res.GetText()
}

// TestConsoleAdminStepsUpAndManagesUsersAndWebhooks is the console's
// main path in Chromium: an admin signs in, is asked to step up, approves
// on the Go device client, revokes another user's session, removes a
// phone, makes an enrolment link whose QR code decodes to the link, and
// replays a failed delivery until it succeeds.
func TestConsoleAdminStepsUpAndManagesUsersAndWebhooks(t *testing.T) {
	hook := newFlakyReceiver(t)
	g := browserGate(t, storeLine(""), consoleOptions(hook.URL))
	shots := newShooter(t)
	chrome := startChromium(t)

	alicePhone := g.enroll("alice@example.com")
	alice := newBrowser(t, g.base)
	alice.login(alicePhone, "alice@example.com")
	if status, _, _ := alice.do(http.MethodGet, "/private?x=1", nil, nil); status != http.StatusOK {
		t.Fatalf("alice before: %d", status)
	}
	bossPhone := g.enroll("boss@example.com")
	laptop := newTab(t, chrome, "boss laptop", laptopScreen, shots)
	laptop.signInToConsole(g.base, bossPhone, "boss@example.com")
	signedIn := time.Now()
	laptop.shoot("console-users")

	// The login event failed at the receiver.
	deadline := time.Now().Add(stepTimeout)
	for hook.hits.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}

	laptop.do(chromedp.SendKeys(chromedp.ID("email"), "alice@example.com"))
	laptop.clickAndLoad(`form[role=search] button[type=submit]`)
	laptop.waitPath("/.authgate/admin/users?email=alice%40example.com")
	if n := eval[int](laptop, `document.querySelectorAll("#sessions [data-session]").length`); n != 1 {
		t.Fatalf("alice's page lists %d sessions, want 1", n)
	}
	if n := eval[int](laptop, `document.querySelectorAll("#devices [data-device]").length`); n != 1 {
		t.Fatalf("alice's page lists %d phones, want 1", n)
	}
	laptop.shoot("console-user")

	// The sign-in approval is old now: an action asks for a step-up and
	// changes nothing.
	time.Sleep(time.Until(signedIn.Add(consoleStepUp + time.Second)))
	laptop.clickAndLoad(`#sessions [data-session] button`)
	if !strings.Contains(laptop.text("h1"), "Confirm it is you") {
		t.Fatalf("a stale approval did not ask for a step-up: %q", laptop.bodyText())
	}
	laptop.shoot("console-stepup")
	if status, _, _ := alice.do(http.MethodGet, "/private?x=1", nil, nil); status != http.StatusOK {
		t.Fatalf("the refused action revoked alice's session: %d", status)
	}
	laptop.do(chromedp.Click(chromedp.ID("stepup")))
	approveOnDevice(t, laptop, bossPhone)
	laptop.waitPath("/.authgate/admin/users?done=stepup&email=alice%40example.com")

	// Another site's form, even with the admin's fresh approval and the
	// page's own form token copied into it, changes nothing.
	sid := eval[string](laptop, `document.querySelector("#sessions [data-session]").dataset.session`)
	csrf := eval[string](laptop, `document.querySelector("input[name=csrf]").value`)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s/.authgate/admin/users/sessions/%s/revoke">`+
			`<input name="csrf" value="%s"><button id="go">go</button></form>`, g.base, sid, csrf)
	}))
	defer evil.Close()
	laptop.do(chromedp.Navigate(evil.URL))
	laptop.clickAndLoad("#go")
	if h := laptop.text("h1"); h != "Request refused" {
		t.Fatalf("a cross-site POST was answered %q: %q", h, laptop.bodyText())
	}
	if status, _, _ := alice.do(http.MethodGet, "/private?x=1", nil, nil); status != http.StatusOK {
		t.Fatalf("the cross-site POST revoked alice's session: %d", status)
	}
	laptop.do(chromedp.Navigate(g.base + "/.authgate/admin/users?email=alice%40example.com"))
	laptop.waitPath("/.authgate/admin/users?email=alice%40example.com")

	laptop.clickAndLoad(`#sessions [data-session] button`)
	laptop.waitPath("/.authgate/admin/users?done=session&email=alice%40example.com")
	if status, h, _ := alice.do(http.MethodGet, "/private?x=1", http.Header{"Accept": {"text/html"}}, nil); status != http.StatusFound || !strings.HasPrefix(h.Get("Location"), "/.authgate/login") {
		t.Fatalf("alice after the revocation: %d %q, want the gate", status, h.Get("Location"))
	}

	laptop.clickAndLoad(`#devices [data-device] button`)
	laptop.waitPath("/.authgate/admin/users?done=device&email=alice%40example.com")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := alicePhone.Pending(ctx); err == nil {
		t.Fatal("the removed phone is still served")
	}

	laptop.clickAndLoad(`#enrol`)
	link := laptop.text("#enrol-link")
	if !strings.HasPrefix(link, g.base+"/.authgate/app#enroll=") {
		t.Fatalf("enrolment link %q", link)
	}
	// The image the page shows, as the gate drew it (a screenshot of it
	// is rescaled by the page's layout, which a decoder may misread).
	qctx, qcancel := context.WithTimeout(laptop.ctx, stepTimeout)
	src, err := chromedp.Run(qctx, chromedp.Evaluate[string](`document.getElementById("enrol-qr").src`))
	qcancel()
	if err != nil {
		t.Fatalf("reading the QR image: %v", err)
	}
	data, ok := strings.CutPrefix(src, "data:image/png;base64,")
	if !ok {
		t.Fatalf("the QR image is not a PNG drawn by the gate: %.40q", src)
	}
	png, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		t.Fatalf("the QR image's data: %v", err)
	}
	if got := decodeQR(t, png); got != link {
		t.Fatalf("the QR code says %q, the link is %q", got, link)
	}
	laptop.shoot("console-enrol")

	// Webhooks: the failed login delivery, replayed once the receiver
	// works again.
	laptop.do(chromedp.Navigate(g.base + "/.authgate/admin/webhooks"))
	laptop.waitFor("the webhook page", `document.readyState === "complete" && !!document.querySelector("#webhooks [data-webhook]")`)
	if s := laptop.text("#webhooks [data-webhook] .facts"); !strings.Contains(s, "500") {
		t.Fatalf("the receiver's health does not show its last status: %q", s)
	}
	laptop.shoot("console-webhooks")
	laptop.clickAndLoad(`#webhooks [data-webhook] a`)
	laptop.waitFor("a failed delivery", `!!document.querySelector('#deliveries [data-event][data-state="retrying"]')`)
	laptop.shoot("console-deliveries")
	hook.ok.Store(true)
	laptop.clickAndLoad(`#deliveries [data-state="retrying"] button`)
	laptop.waitFor("the replay notice", `location.search.includes("done=replay")`)
	deadline = time.Now().Add(stepTimeout)
	for {
		laptop.do(chromedp.Reload())
		if eval[bool](laptop, `!!document.querySelector('#deliveries [data-state="delivered"]')`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replayed delivery never succeeded: %q", laptop.bodyText())
		}
		time.Sleep(200 * time.Millisecond)
	}
	laptop.shoot("console-replayed")

	// The audit trail names boss as the actor of what he did.
	laptop.do(chromedp.Navigate(g.base + "/.authgate/admin/audit"))
	laptop.waitFor("the audit trail", `document.readyState === "complete" && !!document.querySelector("#audit tbody tr[data-type]")`)
	for _, typ := range []string{"admin.event_replay", "admin.enrolment_link", "admin.device_remove", "admin.session_revoke", "admin.step_up"} {
		if actor := eval[string](laptop, `(document.querySelector('#audit tr[data-type="`+typ+`"]') || {dataset: {}}).dataset.actor || ""`); actor != "boss@example.com" {
			t.Errorf("the audit trail's %s names %q as the actor", typ, actor)
		}
	}
	laptop.shoot("console-audit")
}

// signInToConsole opens the admin console at base in tb, signs in as
// email and approves on phone, and waits for the console.
func (tb *tab) signInToConsole(base string, phone *deviceclient.Client, email string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(base + "/.authgate/admin/"))
	tb.waitFor("the login page", `location.pathname === "/.authgate/login" && document.readyState === "complete"`)
	tb.do(chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	approveOnDevice(tb.t, tb, phone)
	tb.waitPath("/.authgate/admin/")
}
