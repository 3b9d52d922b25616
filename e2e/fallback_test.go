package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/internal/testenv"
)

// codeAnswer is the answer of POST /auth/code.
type codeAnswer struct {
	Status   string `json:"status"`
	Redirect string `json:"redirect"`
	Error    string `json:"error"`
}

// code sends a typed code for login id through the JSON API.
func (b *browser) code(id, code string) (int, codeAnswer) {
	b.t.Helper()
	body, _ := json.Marshal(map[string]string{"session_id": id, "code": code})
	status, _, data := b.do(http.MethodPost, "/.authgate/auth/code", http.Header{"Content-Type": {"application/json"}}, body)
	var a codeAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		b.t.Fatalf("code answer: %d %s", status, data)
	}
	return status, a
}

// codeForm sends the code form (no login yet: one is started without a
// push) and returns the status, Location and body.
func (b *browser) codeForm(fields url.Values) (int, string, string) {
	b.t.Helper()
	status, h, body := b.do(http.MethodPost, "/.authgate/code", http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}, "Origin": {b.base},
	}, []byte(fields.Encode()))
	return status, h.Get("Location"), string(body)
}

// startStatus starts a login and returns the status and body, whatever
// they are.
func (b *browser) startStatus(email string) (int, []byte) {
	b.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "app_id": "e2e", "rd": "/private?x=1"})
	status, _, data := b.do(http.MethodPost, "/.authgate/auth/start", http.Header{"Content-Type": {"application/json"}}, body)
	return status, data
}

// offlineCode is dev's code now, or, with step, that many steps away.
func offlineCode(t *testing.T, dev *deviceclient.Client, step int) string {
	t.Helper()
	code, err := dev.OfflineCode(time.Now().Add(time.Duration(step) * otp.Period))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestOfflineCodeSignsInOnce: a login completed with the code the test
// computes from the secret the device received at enrolment; the same
// code for a second login is refused and changes nothing.
func TestOfflineCodeSignsInOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "")
		dev := g.enroll("carol@example.com")
		if len(dev.OTPSecret) != otp.SecretSize || dev.OTPAlgorithm != otp.SHA256 || len(dev.RecoveryCodes) != otp.RecoveryCount {
			t.Fatalf("enrolment gave secret %d bytes (%s), %d recovery codes", len(dev.OTPSecret), dev.OTPAlgorithm, len(dev.RecoveryCodes))
		}
		b := newBrowser(t, g.base)
		s := b.start("carol@example.com")
		code := offlineCode(t, dev, 0)
		status, a := b.code(s.SessionID, code)
		if status != http.StatusOK || a.Status != "approved" || a.Redirect != "/private?x=1" || b.sessionCookie() == "" {
			t.Fatalf("code: %d %+v, cookie %q", status, a, b.sessionCookie())
		}
		if st, _, _ := b.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil); st != http.StatusOK {
			t.Fatalf("protected page after a code login: %d", st)
		}
		other := newBrowser(t, g.base)
		s2 := other.start("carol@example.com")
		if status, a := other.code(s2.SessionID, code); status != http.StatusForbidden || !strings.Contains(a.Error, "already used") {
			t.Fatalf("replayed code: %d %+v, want 403 already used", status, a)
		}
		if st, _, _ := other.check(s2.SessionID); st != "pending" || other.sessionCookie() != "" {
			t.Fatalf("after a replayed code the login is %q", st)
		}
		// From the waiting page: the code form for that login, one step of
		// drift ahead (another step, so not a replay).
		third := other // its own new start replaces its pending login
		s3 := third.start("carol@example.com")
		_, _, page := third.do(http.MethodGet, "/.authgate/code?id="+s3.SessionID, http.Header{"Accept": {"text/html"}}, nil)
		if !bytes.Contains(page, []byte("Signing in as <strong>carol@example.com</strong>")) || !bytes.Contains(page, []byte(`value="`+s3.SessionID+`"`)) {
			t.Fatalf("code page for the waiting login: %s", page)
		}
		if _, _, page := newBrowser(t, g.base).do(http.MethodGet, "/.authgate/code?id="+s3.SessionID, http.Header{"Accept": {"text/html"}}, nil); bytes.Contains(page, []byte("carol@example.com")) {
			t.Fatal("the code page names the user to a browser that did not start the login")
		}
		status, loc, body := third.codeForm(url.Values{"id": {s3.SessionID}, "code": {offlineCode(t, dev, 1)}})
		if status != http.StatusSeeOther || loc != "/private?x=1" || third.sessionCookie() == "" {
			t.Fatalf("code form for the waiting login: %d %q %s", status, loc, body)
		}

		// The second start came within 15 s of the first: no second push.
		resp, err := http.Get(g.caddy.Admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics := string(readAll(resp))
		for _, want := range []string{
			`authgate_pushes_total 1`, `authgate_pushes_skipped_total 2`,
			`authgate_codes_total{kind="offline",result="accepted"} 2`, `authgate_codes_total{kind="any",result="replayed"} 1`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		// A second device enrolment of the same user gives no new recovery codes.
		if again := g.enroll("carol@example.com"); len(again.RecoveryCodes) != 0 || len(again.OTPSecret) == 0 {
			t.Fatalf("second phone: %d recovery codes, %d-byte secret", len(again.RecoveryCodes), len(again.OTPSecret))
		}
	})
}

// TestCodeBadInput: wrong length, non-digits, another user's code,
// another user's login, a replayed code, a reused recovery code: each a
// clear 4xx that changes nothing but the count of attempts; five wrong
// codes deny the login and pause the user's code entry, but not the
// user's push sign-ins, until unblocked.
func TestCodeBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "pushes_per_email 50")
		alice := g.enroll("alice@example.com")
		bob := g.enroll("bob@example.com")
		ab := newBrowser(t, g.base)
		bb := newBrowser(t, g.base)
		la := ab.start("alice@example.com")
		lb := bb.start("bob@example.com")

		// Alice's browser sending Bob's valid code for Bob's login: not its login.
		if status, _ := ab.code(lb.SessionID, offlineCode(t, bob, 0)); status != http.StatusNotFound {
			t.Fatalf("code for another browser's login: %d, want 404", status)
		}
		if st, _, _ := bb.check(lb.SessionID); st != "pending" {
			t.Fatalf("bob's login after a stranger's code: %q", st)
		}
		tests := []struct {
			name   string
			code   string
			status int
			want   string
		}{
			{"too short", "12345", http.StatusBadRequest, "6 digits"},
			{"too long", "1234567", http.StatusBadRequest, "6 digits"},
			{"not digits", "12a45b", http.StatusBadRequest, "6 digits"},
			{"another user's code", offlineCode(t, bob, 0), http.StatusForbidden, "not right"},
		}
		for i, tt := range tests {
			status, a := ab.code(la.SessionID, tt.code)
			if status != tt.status || !strings.Contains(a.Error, tt.want) || !strings.Contains(a.Error, " left)") {
				t.Fatalf("%s: %d %q, want %d with %q", tt.name, status, a.Error, tt.status, tt.want)
			}
			if left := 4 - i; !strings.Contains(a.Error, fmt.Sprintf("(%d tries left)", left)) && !(left == 1 && strings.Contains(a.Error, "(1 try left)")) {
				t.Fatalf("%s: %q, want %d tries left", tt.name, a.Error, left)
			}
			if st, _, _ := ab.check(la.SessionID); st != "pending" || ab.sessionCookie() != "" {
				t.Fatalf("%s: login is %q after a refused code", tt.name, st)
			}
		}
		// The fifth wrong code denies the login.
		if status, a := ab.code(la.SessionID, offlineCode(t, alice, 3)); status != http.StatusForbidden || !strings.Contains(a.Error, "denied") {
			t.Fatalf("fifth wrong code: %d %+v", status, a)
		}
		if st, _, _ := ab.check(la.SessionID); st != "denied" {
			t.Fatalf("after five wrong codes the login is %q, want denied", st)
		}
		if status, _ := ab.code(la.SessionID, offlineCode(t, alice, 0)); status != http.StatusConflict {
			t.Fatalf("a right code after the denial: %d, want 409", status)
		}
		// Five wrong codes paused alice's codes, not her pushes.
		pb := newBrowser(t, g.base)
		status, data := pb.startStatus("alice@example.com")
		if status != http.StatusOK {
			t.Fatalf("push start after five wrong codes: %d %s", status, data)
		}
		var pushed started
		if err := json.Unmarshal(data, &pushed); err != nil {
			t.Fatal(err)
		}
		if p, err := alice.Pending(t.Context()); err != nil || len(p) != 1 || p[0].SessionID != pushed.SessionID {
			t.Fatalf("the phone's requests after five wrong codes: %+v %v", p, err)
		}
		if status, a := pb.code(pushed.SessionID, offlineCode(t, alice, 0)); status != http.StatusTooManyRequests || !strings.Contains(a.Error, "codes are paused") {
			t.Fatalf("the right code while codes are paused: %d %+v", status, a)
		}
		fb := newBrowser(t, g.base)
		status, _, body := fb.codeForm(url.Values{"email": {"alice@example.com"}, "code": {alice.RecoveryCodes[0]}})
		if status != http.StatusTooManyRequests || !strings.Contains(body, "Too many wrong codes were entered for this account, so codes are refused until") || fb.sessionCookie() != "" {
			t.Fatalf("the code form while codes are paused: %d %s", status, body)
		}
		var paused struct {
			Paused      bool   `json:"paused"`
			CodesPaused bool   `json:"codes_paused"`
			CodesUntil  string `json:"codes_until"`
		}
		if st := g.adminDo(http.MethodGet, "/authgate/paused?email=alice@example.com", &paused); st != http.StatusOK || paused.Paused || !paused.CodesPaused || paused.CodesUntil == "" {
			t.Fatalf("the admin API on paused codes: %d %+v, want codes paused and sign-in not", st, paused)
		}
		if out := g.caddyCLI("unblock", "alice@example.com"); !strings.Contains(out, "alice@example.com had codes paused after wrong codes; cleared") {
			t.Fatalf("unblock printed %q", out)
		}

		// A recovery code works once, from the code form (no push).
		rb := newBrowser(t, g.base)
		status, loc, body := rb.codeForm(url.Values{"email": {"Alice@Example.com"}, "code": {strings.ToLower(alice.RecoveryCodes[0])}, "rd": {"/private?x=1"}})
		if status != http.StatusSeeOther || loc != "/private?x=1" || rb.sessionCookie() == "" {
			t.Fatalf("recovery code: %d %q %s", status, loc, body)
		}
		again := newBrowser(t, g.base)
		status, _, body = again.codeForm(url.Values{"email": {"alice@example.com"}, "code": {alice.RecoveryCodes[0]}, "rd": {"/private?x=1"}})
		if status != http.StatusForbidden || !strings.Contains(body, "That code is not right.") || again.sessionCookie() != "" {
			t.Fatalf("reused recovery code: %d %s", status, body)
		}
		// The retry form keeps the login: its id travels in the form.
		if !regexp.MustCompile(`name="id" value="[0-9a-f]{3}[A-Za-z0-9_-]{22}"`).MatchString(body) {
			t.Fatalf("the refused form does not keep its login: %s", body)
		}
		_, _, home := rb.do(http.MethodGet, "/.authgate/", http.Header{"Accept": {"text/html"}}, nil)
		if !bytes.Contains(home, []byte(">9 left<")) || !bytes.Contains(home, []byte("You signed in with a recovery code.")) {
			t.Fatalf("account page after a recovery code: %s", home)
		}
		// An unknown email at the code form fails like a wrong code.
		nb := newBrowser(t, g.base)
		status, _, body = nb.codeForm(url.Values{"email": {"nobody@example.com"}, "code": {alice.RecoveryCodes[1]}})
		if status != http.StatusForbidden || !strings.Contains(body, "That code is not right.") {
			t.Fatalf("unknown email: %d %s", status, body)
		}
	})
}

// TestACodeFormLoginDoesNotHoldUpThePush: a stranger who knows only the
// user's email sends the code form with a wrong code; the login it
// starts sends no push and does not make the user's own sign-in wait:
// the user's start right after gets its push, which the phone shows.
func TestACodeFormLoginDoesNotHoldUpThePush(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "")
		dev := g.enroll("gail@example.com")
		stranger := newBrowser(t, g.base)
		status, _, body := stranger.codeForm(url.Values{"email": {"gail@example.com"}, "code": {"000000"}, "rd": {"/private?x=1"}})
		if status != http.StatusForbidden || !strings.Contains(body, "That code is not right.") {
			t.Fatalf("the stranger's wrong code: %d %s", status, body)
		}
		if p, err := dev.Pending(t.Context()); err != nil || len(p) != 0 {
			t.Fatalf("the phone shows %d requests after the code form (%v)", len(p), err)
		}
		b := newBrowser(t, g.base)
		status, data := b.startStatus("gail@example.com")
		if status != http.StatusOK {
			t.Fatalf("the user's start after the stranger's code form: %d %s", status, data)
		}
		var s started
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		if p, err := dev.Pending(t.Context()); err != nil || len(p) != 1 || p[0].SessionID != s.SessionID {
			t.Fatalf("the phone's requests: %+v %v, want the user's login %s", p, err, s.SessionID)
		}
	})
}

// TestLockoutAfterFiveDenials: five denied logins, then the sixth start
// is refused with the paused page and no push reaches the phone; unblock
// through the CLI lets the next login through.
func TestLockoutAfterFiveDenials(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "pushes_per_email 50")
		dev := g.enroll("dave@example.com")
		denyLogins(t, g.base, dev, "dave@example.com", 5)
		b := newBrowser(t, g.base)
		if status, body := b.startStatus("dave@example.com"); status != http.StatusTooManyRequests || !bytes.Contains(body, []byte("paused (locked)")) {
			t.Fatalf("sixth start: %d %s", status, body)
		}
		status, _, page := b.do(http.MethodPost, "/.authgate/login", http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}, "Origin": {g.base},
		}, []byte("email=dave%40example.com&rd=%2Fprivate"))
		if status != http.StatusTooManyRequests || !lockedText.Match(page) || !bytes.Contains(page, []byte("You can still sign in with a code")) ||
			!bytes.Contains(page, []byte(`href="/.authgate/code?rd=%2Fprivate"`)) ||
			bytes.Contains(page, []byte("Try again")) || bytes.Contains(page, []byte("<form")) {
			t.Fatalf("sixth start from the form: %d %s", status, page)
		}
		if p, err := dev.Pending(t.Context()); err != nil || len(p) != 0 {
			t.Fatalf("the phone has %d requests while locked (%v)", len(p), err)
		}
		// The lockout stops pushes only: the user's own code still signs in.
		coder := newBrowser(t, g.base)
		if status, loc, body := coder.codeForm(url.Values{"email": {"dave@example.com"}, "code": {offlineCode(t, dev, 0)}, "rd": {"/private"}}); status != http.StatusSeeOther || loc != "/private" || coder.sessionCookie() == "" {
			t.Fatalf("an offline code while locked: %d %q %s", status, loc, body)
		}
		out := g.caddyCLI("unblock", "dave@example.com")
		if !strings.Contains(out, "dave@example.com was locked out after refused sign-ins; cleared") {
			t.Fatalf("unblock printed %q", out)
		}
		b.login(dev, "dave@example.com")
	})
}

// denyLogins starts n logins of email on base and denies each on dev.
func denyLogins(t *testing.T, base string, dev *deviceclient.Client, email string, n int) {
	t.Helper()
	for i := range n {
		b := newBrowser(t, base)
		s := b.start(email)
		if st, err := dev.Decide(t.Context(), s.SessionID, "deny", 0); err != nil || st != "denied" {
			t.Fatalf("deny %d: %q %v", i+1, st, err)
		}
	}
}

// TestLockoutIsSharedByInstances: three denials on one instance and two
// on another lock the user on both; unblocking on one frees both.
func TestLockoutIsSharedByInstances(t *testing.T) {
	r := testenv.StartRedis(t).URL(0)
	up := newUpstream(t)
	a := startGate(t, storeLine(r), up, "pushes_per_email 50")
	bg := startGate(t, storeLine(r), up, "pushes_per_email 50")
	dev := a.enroll("erin@example.com")
	denyLogins(t, a.base, dev, "erin@example.com", 3)
	onB := *dev
	onB.BaseURL = bg.base + "/.authgate"
	denyLogins(t, bg.base, &onB, "erin@example.com", 2)
	for _, g := range []*gate{a, bg} {
		if status, body := newBrowser(t, g.base).startStatus("erin@example.com"); status != http.StatusTooManyRequests || !bytes.Contains(body, []byte("locked")) {
			t.Fatalf("start on %s: %d %s", g.base, status, body)
		}
	}
	bg.caddyCLI("unblock", "erin@example.com")
	newBrowser(t, a.base).login(dev, "erin@example.com")
}

// TestReportPausesUntilUnblocked: after "deny and report" the waiting
// page and the form say until when sign-ins are paused, with no retry;
// unblock clears it.
func TestReportPausesUntilUnblocked(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "")
		dev := g.enroll("fay@example.com")
		b := newBrowser(t, g.base)
		s := b.start("fay@example.com")
		if _, err := dev.Decide(t.Context(), s.SessionID, "report", 0); err != nil {
			t.Fatal(err)
		}
		status, _, page := b.do(http.MethodGet, "/.authgate/wait/"+s.SessionID, http.Header{"Accept": {"text/html"}}, nil)
		if status != http.StatusOK || !pausedText.Match(page) || !bytes.Contains(page, []byte("because a request was reported. Contact your administrator.")) ||
			bytes.Contains(page, []byte(`id="retry"`)) {
			t.Fatalf("waiting page after a report: %d %s", status, page)
		}
		var paused struct {
			Paused bool
			Reason string
			Until  time.Time
		}
		if st := g.adminDo(http.MethodGet, "/authgate/paused?email=fay@example.com", &paused); st != http.StatusOK || !paused.Paused ||
			paused.Reason != "reported" || time.Until(paused.Until) < 59*time.Minute {
			t.Fatalf("admin paused: %d %+v", st, paused)
		}
		if status, body := b.startStatus("fay@example.com"); status != http.StatusTooManyRequests || !bytes.Contains(body, []byte("paused (reported)")) {
			t.Fatalf("start after a report: %d %s", status, body)
		}
		out := g.caddyCLI("unblock", "fay@example.com")
		if !strings.Contains(out, "was paused by a report") {
			t.Fatalf("unblock printed %q", out)
		}
		b.login(dev, "fay@example.com")
	})
}

// TestAccessPassSignsInOnceAndOpensEnrolment: the lost-phone pass from
// the CLI signs in once and lands on a page linking to the enrolment of a
// new phone.
func TestAccessPassSignsInOnceAndOpensEnrolment(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		g := startGate(t, storeOpt, newUpstream(t), "")
		g.enroll("gus@example.com")
		out := g.caddyCLI("pass", "gus@example.com", "--ttl", "30m")
		m := regexp.MustCompile(`\n  ([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})\n`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("pass printed no pass:\n%s", out)
		}
		b := newBrowser(t, g.base)
		status, _, body := b.codeForm(url.Values{"email": {"gus@example.com"}, "code": {m[1]}, "rd": {"/private"}})
		link := enrolLink.FindStringSubmatch(body)
		if status != http.StatusOK || link == nil || b.sessionCookie() == "" {
			t.Fatalf("pass: %d %s", status, body)
		}
		phone, err := deviceclient.Enroll(t.Context(), http.DefaultClient, g.base+link[1], "New phone")
		if err != nil {
			t.Fatalf("enrolling with the link the pass led to: %v", err)
		}
		if phone.Email != "gus@example.com" {
			t.Fatalf("new phone enrolled for %q", phone.Email)
		}
		again := newBrowser(t, g.base)
		if status, _, _ := again.codeForm(url.Values{"email": {"gus@example.com"}, "code": {m[1]}}); status != http.StatusForbidden {
			t.Fatalf("pass used twice: %d", status)
		}
		if st := g.adminDo(http.MethodPost, "/authgate/pass", nil); st != http.StatusBadRequest {
			t.Fatalf("pass without a body: %d", st)
		}
	})
}

// TestALoginWaitingElsewhereSaysSo: a second browser's start, while one
// login waits, gets its own words, not "too many requests", and sends no
// push. The code form is not held up by it: a typed code takes no place
// in the user's one waiting login, and the phone still sees only the
// first.
func TestALoginWaitingElsewhereSaysSo(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	dev := g.enroll("ivy@example.com")
	first := newBrowser(t, g.base)
	s := first.start("ivy@example.com")
	second := newBrowser(t, g.base)
	status, _, page := second.do(http.MethodPost, "/.authgate/login", http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"text/html"}, "Origin": {g.base},
	}, []byte("email=ivy%40example.com&rd=%2Fprivate"))
	if status != http.StatusTooManyRequests || !bytes.Contains(page, []byte("already waiting for approval in another browser")) || bytes.Contains(page, []byte("Too many")) {
		t.Fatalf("second start: %d %s", status, page)
	}
	status, _, body := second.codeForm(url.Values{"email": {"ivy@example.com"}, "code": {offlineCode(t, dev, 0)}})
	if status != http.StatusSeeOther || second.sessionCookie() == "" {
		t.Fatalf("code form while a login waits elsewhere: %d %s, want signed in", status, body)
	}
	if p, err := dev.Pending(t.Context()); err != nil || len(p) != 1 || p[0].SessionID != s.SessionID {
		t.Fatalf("the phone sees %+v (%v), want only the first login", p, err)
	}
}
