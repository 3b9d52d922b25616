package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/authgate/authgate/internal/testenv"
)

// The browser tests drive the real gate pages and the approver app in a
// headless Chromium: one browser process per test, one isolated browser
// context (cookies, storage, IndexedDB) per person's device.

// phoneUA is a phone's browser; the laptop keeps Chromium's own.
const phoneUA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"

// The two screen sizes every page is photographed at.
var (
	laptopScreen = device.Info{Name: "laptop", Width: 1280, Height: 800, Scale: 1}
	phoneScreen  = device.Info{Name: "phone", UserAgent: phoneUA, Width: 390, Height: 844, Scale: 1, Mobile: true, Touch: true}
)

// stepTimeout bounds every wait for the page to reach a state.
const stepTimeout = 15 * time.Second

// startChromium starts a headless Chromium with a fresh profile for this
// test and returns its context.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	bin := testenv.Require(t, "chromium")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser and ties its life to the
	// context it runs with: that must be ctx itself, not a child with a
	// timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// tab is one device's browser: its own cookies and storage, its screen.
type tab struct {
	t      *testing.T
	name   string
	ctx    context.Context
	screen device.Info
	shots  *shooter
	mu     sync.Mutex
	errs   []string // uncaught script exceptions
}

// newTab opens a tab in a new browser context of the browser at chrome,
// emulating screen.
// screenTab opens a tab of one named screen size.
type screenTab struct {
	name string
	tab  func() *tab
}

// bothScreens returns tab makers for a laptop and a phone, without
// screenshots, for checks that run on each.
func bothScreens(t *testing.T, chrome context.Context) []screenTab {
	return []screenTab{
		{"laptop", func() *tab { return newTab(t, chrome, "laptop", laptopScreen, nil) }},
		{"phone", func() *tab { return newTab(t, chrome, "phone", phoneScreen, nil) }},
	}
}

func newTab(t *testing.T, chrome context.Context, name string, screen device.Info, shots *shooter) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(chrome, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab, tied to ctx
		t.Fatalf("opening %s's tab: %v", name, err)
	}
	tb := &tab{t: t, name: name, ctx: ctx, screen: screen, shots: shots}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.errs = append(tb.errs, (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
			tb.mu.Unlock()
		}
	}()
	tb.do(chromedp.Emulate(screen))
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.errs {
			t.Errorf("%s: uncaught script exception: %s", name, e)
		}
	})
	return tb
}

// do runs actions with a bounded time.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %v (at %s)", tb.name, err, tb.location())
	}
}

// eval evaluates a script expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: evaluating %s: %v", tb.name, expr, err)
	}
	return v
}

// location returns the page's URL, or a note why it cannot be read.
func (tb *tab) location() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown location: " + err.Error()
	}
	return loc
}

// bodyText returns the start of the page's text, for failure messages.
func (tb *tab) bodyText() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 400) : ""`))
	return s
}

// text returns the text of the first element matching sel.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("%s: reading %s: %v (at %s)", tb.name, sel, err, tb.location())
	}
	return strings.TrimSpace(s)
}

// waitFor polls a script condition until it is true, across page loads.
func (tb *tab) waitFor(what, cond string) {
	tb.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: waiting for %s: %v (at %s, page says %q)", tb.name, what, err, tb.location(), tb.bodyText())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitPath waits until the page is the loaded document at path (with
// query).
func (tb *tab) waitPath(pathWithQuery string) {
	tb.t.Helper()
	q, _ := json.Marshal(pathWithQuery)
	tb.waitFor("page "+pathWithQuery, "location.pathname + location.search === "+string(q)+" && document.readyState === 'complete'")
}

// shoot photographs the page at both screen sizes, in the light and the
// dark colour scheme, if screenshots are on: name-WxH.png and
// name-WxH-dark.png.
func (tb *tab) shoot(name string) {
	tb.t.Helper()
	if tb.shots == nil {
		return
	}
	for _, scheme := range []string{"light", "dark"} {
		tb.colourScheme(scheme)
		suffix := ""
		if scheme == "dark" {
			suffix = "-dark"
		}
		for _, screen := range []device.Info{laptopScreen, phoneScreen} {
			ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
			img, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
				var opts []chromedp.EmulateViewportOption
				if screen.Mobile {
					opts = append(opts, chromedp.EmulateMobile)
				}
				if _, err := chromedp.EmulateViewport(screen.Width, screen.Height, opts...)(ctx, t); err != nil {
					return nil, err
				}
				// Let layout and the scheme's colours settle.
				if _, err := chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)(ctx, t); err != nil {
					return nil, err
				}
				return chromedp.CaptureScreenshot()(ctx, t)
			})
			cancel()
			if err != nil {
				tb.t.Fatalf("%s: screenshot %s: %v", tb.name, name, err)
			}
			tb.shots.save(tb.t, fmt.Sprintf("%s-%dx%d%s.png", name, screen.Width, screen.Height, suffix), img)
		}
	}
	tb.colourScheme("")
	tb.do(chromedp.Emulate(tb.screen))
}

// colourScheme makes the page see prefers-color-scheme as scheme;
// "" gives the browser's own back.
func (tb *tab) colourScheme(scheme string) {
	tb.t.Helper()
	var features []*emulation.MediaFeature
	if scheme != "" {
		features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features}); err != nil {
		tb.t.Fatalf("%s: colour scheme %q: %v", tb.name, scheme, err)
	}
}

// clearHTTPCache empties the browser's HTTP cache (not a service
// worker's caches), as a browser that evicted it would be.
func (tb *tab) clearHTTPCache() {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCache, cdp.Empty{}); err != nil {
		tb.t.Fatalf("%s: clearing the HTTP cache: %v", tb.name, err)
	}
}

// shooter keeps screenshots in one folder: AUTHGATE_SCREENSHOTS, or a
// temporary folder of the test.
type shooter struct{ dir string }

func newShooter(t *testing.T) *shooter {
	dir := os.Getenv("AUTHGATE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshot folder: %v", err)
	}
	return &shooter{dir: dir}
}

func (s *shooter) save(t *testing.T, name string, png []byte) {
	if err := os.WriteFile(filepath.Join(s.dir, name), png, 0o644); err != nil {
		t.Fatalf("saving screenshot: %v", err)
	}
}

// browserGate starts a gate with the given extra global options and
// returns it.
func browserGate(t *testing.T, storeOpt, extra string) *gate {
	t.Helper()
	return startGate(t, storeOpt, newUpstream(t), extra)
}

// enrollment is the admin API's answer to an enrolment request.
type enrollment struct {
	Email string `json:"email"`
	Link  string `json:"link"`
	QRPNG string `json:"qr_png"`
}

// enrollmentLink asks the admin API for a one-time enrolment link.
func (g *gate) enrollmentLink(email string) enrollment {
	g.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email})
	resp, err := http.Post(g.caddy.Admin+"/authgate/enroll", "application/json", bytes.NewReader(body))
	if err != nil {
		g.t.Fatalf("asking for an enrolment link: %v", err)
	}
	defer resp.Body.Close()
	var e enrollment
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&e) != nil {
		g.t.Fatalf("enrolment link: %d", resp.StatusCode)
	}
	return e
}

// enrolPhone opens an enrolment link on the phone and waits until the
// app is set up and live.
func enrolPhone(phone *tab, link string) {
	phone.t.Helper()
	phone.do(chromedp.Navigate(link))
	// A user's first phone shows its recovery codes once, first.
	phone.waitFor("the app to be set up", `!document.getElementById("view-main").hidden || !document.getElementById("view-recovery").hidden`)
	if eval[bool](phone, `!document.getElementById("view-recovery").hidden`) {
		phone.do(chromedp.Click(chromedp.ID("recovery-done")))
	}
	phone.waitFor("the app to be live", `!document.getElementById("view-main").hidden && document.getElementById("conn").dataset.state === "live"`)
	if loc := phone.location(); strings.Contains(loc, "#") {
		phone.t.Fatalf("the enrolment token is still in the address bar: %s", loc)
	}
}

// startLogin has the laptop visit the protected page, be sent to the gate,
// type email and submit; it returns the number the waiting page shows.
func startLogin(laptop *tab, base, email string) string {
	laptop.t.Helper()
	laptop.do(chromedp.Navigate(base + "/private?x=1"))
	laptop.waitPath("/.authgate/login?rd=%2Fprivate%3Fx%3D1")
	laptop.typeEmail(email)
	laptop.do(
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
	)
	laptop.waitFor("the waiting page", `location.pathname.startsWith("/.authgate/wait/") && document.readyState === "complete" && !!document.getElementById("code")`)
	return laptop.text("#code")
}

// typeEmail types email into the login form's field, first clearing
// the last address the page may have filled in.
func (tb *tab) typeEmail(email string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.ID("email")))
	eval[bool](tb, `(document.getElementById("email").value = "") === ""`)
	tb.do(chromedp.SendKeys(chromedp.ID("email"), email))
}

// requestSel selects the phone's card of the only pending request.
const requestSel = "#requests .request"

// waitRequest waits until the phone lists one request.
func waitRequest(phone *tab) {
	phone.t.Helper()
	phone.waitFor("a sign-in request on the phone", `document.querySelectorAll("#requests .request").length === 1`)
}

// tapNumber taps the number n on the phone's request card.
func tapNumber(phone *tab, n string) {
	phone.t.Helper()
	phone.do(chromedp.Click(chromedp.CSS(requestSel + ` .choice[data-n="` + n + `"]`)))
}

// otherChoice returns a number on the phone's card other than n.
func otherChoice(phone *tab, n string) string {
	phone.t.Helper()
	return eval[string](phone, `[...document.querySelectorAll("#requests .request .choice")].map(b => b.dataset.n).find(x => x !== "`+n+`")`)
}

// loginWithPhone runs a whole login: the laptop starts it, the phone taps
// the number and approves, the laptop lands on the protected page.
func loginWithPhone(laptop, phone *tab, base, email string) {
	laptop.t.Helper()
	code := startLogin(laptop, base, email)
	waitRequest(phone)
	tapNumber(phone, code)
	phone.do(chromedp.Click(chromedp.CSS(requestSel + " .approve")))
	laptop.waitPath("/private?x=1")
	if body := laptop.text("body"); body != "hello "+email {
		laptop.t.Fatalf("protected page says %q", body)
	}
}
