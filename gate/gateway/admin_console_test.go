package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/token"
	"github.com/authgate/authgate/gate/webhook"
)

// fakeWebhooks is a WebhookAdmin that records what the console asks.
type fakeWebhooks struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeWebhooks) call(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeWebhooks) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeWebhooks) Endpoints(context.Context) []WebhookEndpoint {
	return []WebhookEndpoint{{EndpointStatus: webhook.EndpointStatus{ID: "wh_1", URL: "https://hooks.example.com/x",
		Disabled: true, LastStatus: 410, LastError: "gone <b>", Failed: 2, LastFiredAt: time.Now()}, Runtime: true}}
}

func (f *fakeWebhooks) Deliveries(id string) []webhook.EventRecord {
	return []webhook.EventRecord{{EventID: "evt_1", EventType: "login", EndpointID: id, State: webhook.StateDead,
		Attempts: []webhook.Attempt{{Number: 1, At: time.Now(), Status: 500, Error: "HTTP 500"}}}}
}
func (f *fakeWebhooks) Replay(_ context.Context, id string) (int, error) {
	f.call("replay " + id)
	return 1, nil
}
func (f *fakeWebhooks) Ping(_ context.Context, id string) (string, error) {
	f.call("ping " + id)
	return "evt_p", nil
}
func (f *fakeWebhooks) Enable(id string) error { f.call("enable " + id); return nil }
func (f *fakeWebhooks) Add(_ context.Context, u string, _ []string) (string, string, error) {
	f.call("add " + u)
	return "wh_2", "whsec_x", nil
}
func (f *fakeWebhooks) Remove(_ context.Context, id string) error { f.call("remove " + id); return nil }

// consoleGate is a live gate with a console: boss@example.com is an
// admin, the step-up window is short.
type consoleGate struct {
	*liveGate
	hooks *fakeWebhooks
	trail *audit.Ring
}

func startConsoleGate(t *testing.T, st store.Store, window time.Duration) *consoleGate {
	t.Helper()
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordingSink{}
	ring := audit.NewRing(audit.Limits{})
	w := audit.NewWriter(ring, 0, nil)
	hooks := &fakeWebhooks{}
	g, err := New(Config{Groups: map[string][]string{"admin": {"boss@example.com"}}, StepUpWindow: window},
		Deps{Store: st, Keys: []token.Key{key}, Events: event.Sinks{sink, w}, Audit: w, Webhooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); g.Run(ctx) }()
	go func() { defer wg.Done(); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	<-g.Synced()
	rt, err := g.Route(RouteConfig{AppID: "console-test", Rules: policy.Rules{Domains: []string{"example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = rt.ServeHTTP(w, r, &countingNext{})
	}))
	t.Cleanup(srv.Close)
	return &consoleGate{liveGate: &liveGate{gw: g, srv: srv, events: sink}, hooks: hooks, trail: ring}
}

// send makes a request with the given headers and returns status and body.
func (b *testBrowser) send(method, path string, form url.Values, hdr map[string]string) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// consoleActions are every state-changing console URL, with a form.
func consoleActions(sid, deviceID, keyID string) map[string]url.Values {
	u := url.Values{"email": {"alice@example.com"}}
	return map[string]url.Values{
		"/.authgate/admin/users/sessions/" + sid + "/revoke":     {},
		"/.authgate/admin/users/signout-everywhere":              u,
		"/.authgate/admin/users/devices/" + deviceID + "/remove": {},
		"/.authgate/admin/users/keys/" + keyID + "/revoke":       {},
		"/.authgate/admin/users/enroll":                          u,
		"/.authgate/admin/users/unblock":                         u,
		"/.authgate/admin/webhooks/add":                          {"url": {"https://new.example.com/h"}},
		"/.authgate/admin/webhooks/wh_1/ping":                    {},
		"/.authgate/admin/webhooks/wh_1/enable":                  {},
		"/.authgate/admin/webhooks/wh_1/remove":                  {},
		"/.authgate/admin/events/evt_1/replay":                   {},
		"/.authgate/admin/stepup":                                {},
	}
}

// apiKey makes an API key of email that never expires and returns its id.
func (cg *consoleGate) apiKey(t *testing.T, email string) string {
	t.Helper()
	k, err := cg.gw.apikeys.Create(context.Background(), email, "deploy from CI", time.Time{})
	if err != nil {
		t.Fatalf("creating an API key of %s: %v", email, err)
	}
	return k.Record.ID
}

// consolePages are every console page.
var consolePages = []string{
	"/.authgate/admin", "/.authgate/admin/", "/.authgate/admin/users?email=alice@example.com",
	"/.authgate/admin/webhooks", "/.authgate/admin/webhooks/wh_1", "/.authgate/admin/audit",
	"/.authgate/admin/audit.jsonl", "/.authgate/admin/stepup/done", "/.authgate/admin/no-such-page",
}

// stateOf is what an action could change: alice's sessions, devices and
// API keys, and the webhook calls.
func (cg *consoleGate) stateOf(t *testing.T) string {
	ctx := context.Background()
	s, _ := cg.gw.store.ListSessions(ctx, "alice@example.com")
	d, _ := cg.gw.store.ListDevices(ctx, "alice@example.com")
	k, _ := cg.gw.store.ListAPIKeys(ctx, "alice@example.com")
	p, _ := cg.trail.List(ctx, audit.Query{Type: "admin.*"})
	return strings.Join([]string{
		strings.Repeat("s", len(s)), strings.Repeat("d", len(d)), strings.Repeat("k", len(k)), strings.Join(cg.hooks.Calls(), ","),
		strings.Repeat("a", len(p.Entries)),
	}, "|")
}

func TestConsoleRefusesNonAdminsEverywhere(t *testing.T) {
	cg := startConsoleGate(t, newMemoryStore(t), time.Minute)
	phone := cg.enroll(t, "alice@example.com")
	alice := cg.browser(t)
	raw := cg.loginWith(t, alice, phone, "alice@example.com")
	sessions, _ := cg.gw.store.ListSessions(context.Background(), "alice@example.com")
	actions := consoleActions(sessions[0].ID, phone.DeviceID, cg.apiKey(t, "alice@example.com"))
	before := cg.stateOf(t)
	for _, path := range consolePages {
		if status, body := alice.send(http.MethodGet, path, nil, nil); status != http.StatusForbidden || !strings.Contains(body, "not an administrator") {
			t.Errorf("non-admin GET %s: %d, want 403", path, status)
		}
	}
	for path, form := range actions {
		form.Set("csrf", csrfToken(raw))
		if status, _ := alice.send(http.MethodPost, path, form, map[string]string{"Origin": alice.base}); status != http.StatusForbidden {
			t.Errorf("non-admin POST %s: %d, want 403", path, status)
		}
	}
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if status, _ := alice.send(m, "/.authgate/admin/users/unblock", nil, nil); status != http.StatusForbidden {
			t.Errorf("non-admin %s: %d, want 403", m, status)
		}
	}
	anon := cg.browser(t)
	if status, _ := anon.send(http.MethodPost, "/.authgate/admin/users/unblock", url.Values{}, nil); status != http.StatusForbidden {
		t.Errorf("anonymous POST: %d, want 403", status)
	}
	if after := cg.stateOf(t); after != before {
		t.Fatalf("refused requests changed state: %s → %s", before, after)
	}
}

func TestConsoleActionsNeedCSRFSameOriginAndARecentApproval(t *testing.T) {
	cg := startConsoleGate(t, newMemoryStore(t), 2*time.Second)
	phone := cg.enroll(t, "alice@example.com")
	cg.loginWith(t, cg.browser(t), phone, "alice@example.com")
	bossPhone := cg.enroll(t, "boss@example.com")
	boss := cg.browser(t)
	raw := cg.loginWith(t, boss, bossPhone, "boss@example.com")
	sessions, _ := cg.gw.store.ListSessions(context.Background(), "alice@example.com")
	actions := consoleActions(sessions[0].ID, phone.DeviceID, cg.apiKey(t, "alice@example.com"))
	delete(actions, "/.authgate/admin/stepup")
	before := cg.stateOf(t)
	for path, form := range actions {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if status, _ := boss.send(http.MethodPost, path, f, map[string]string{"Origin": boss.base}); status != http.StatusForbidden {
			t.Errorf("POST %s without CSRF: %d, want 403", path, status)
		}
		f.Set("csrf", csrfToken(raw))
		if status, _ := boss.send(http.MethodPost, path, f, map[string]string{"Origin": "https://evil.example"}); status != http.StatusForbidden {
			t.Errorf("cross-origin POST %s: %d, want 403", path, status)
		}
		if status, _ := boss.send(http.MethodPost, path, f, map[string]string{"Sec-Fetch-Site": "cross-site"}); status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", path, status)
		}
	}
	if after := cg.stateOf(t); after != before {
		t.Fatalf("refused requests changed state: %s → %s", before, after)
	}
	time.Sleep(2100 * time.Millisecond)
	for path, form := range actions {
		form.Set("csrf", csrfToken(raw))
		status, body := boss.send(http.MethodPost, path, form, map[string]string{"Origin": boss.base})
		if status != http.StatusPreconditionRequired || !strings.Contains(body, `id="stepup"`) {
			t.Errorf("stale POST %s: %d, want the step-up prompt (428)", path, status)
		}
	}
	if after := cg.stateOf(t); after != before {
		t.Fatalf("stale approvals changed state: %s → %s", before, after)
	}
}

// TestConsoleActionsNeedAPhoneNotARecoveryCode: a sign-in with a
// recovery code is recent, but no phone approved it: every console
// action asks for the step-up (a push) and changes nothing.
func TestConsoleActionsNeedAPhoneNotARecoveryCode(t *testing.T) {
	cg := startConsoleGate(t, newMemoryStore(t), time.Minute)
	phone := cg.enroll(t, "alice@example.com")
	cg.loginWith(t, cg.browser(t), phone, "alice@example.com")
	cg.enroll(t, "boss@example.com")
	codes, err := cg.gw.codes.IssueRecoveryCodes(context.Background(), "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}
	boss := cg.browser(t)
	status, _ := boss.send(http.MethodPost, "/.authgate/code", url.Values{"email": {"boss@example.com"}, "code": {codes[0]}}, map[string]string{"Origin": boss.base})
	u, _ := url.Parse(boss.base)
	raw := ""
	for _, c := range boss.http.Jar.Cookies(u) {
		if c.Name == "authgate_session" {
			raw = c.Value
		}
	}
	if status != http.StatusSeeOther || raw == "" {
		t.Fatalf("sign-in with a recovery code: %d, cookie %v", status, raw != "")
	}
	sessions, _ := cg.gw.store.ListSessions(context.Background(), "alice@example.com")
	actions := consoleActions(sessions[0].ID, phone.DeviceID, cg.apiKey(t, "alice@example.com"))
	delete(actions, "/.authgate/admin/stepup")
	before := cg.stateOf(t)
	for path, form := range actions {
		form.Set("csrf", csrfToken(raw))
		status, body := boss.send(http.MethodPost, path, form, map[string]string{"Origin": boss.base})
		if status != http.StatusPreconditionRequired || !strings.Contains(body, `id="stepup"`) {
			t.Errorf("POST %s after a recovery code sign-in: %d, want the step-up prompt (428)", path, status)
		}
	}
	if after := cg.stateOf(t); after != before {
		t.Fatalf("actions without a phone approval changed state: %s → %s", before, after)
	}
}

func TestConsoleStepUpThenActionsAreAudited(t *testing.T) {
	cg := startConsoleGate(t, newMemoryStore(t), 2*time.Second)
	phone := cg.enroll(t, "alice@example.com")
	alice := cg.browser(t)
	cg.loginWith(t, alice, phone, "alice@example.com")
	bossPhone := cg.enroll(t, "boss@example.com")
	boss := cg.browser(t)
	raw := cg.loginWith(t, boss, bossPhone, "boss@example.com")
	time.Sleep(2100 * time.Millisecond)
	oldSessions, _ := cg.gw.store.ListSessions(context.Background(), "boss@example.com")

	// Step up: a push for boss, approved on boss's phone.
	req, _ := http.NewRequest(http.MethodPost, boss.base+"/.authgate/admin/stepup",
		strings.NewReader(url.Values{"csrf": {csrfToken(raw)}, "back": {"/.authgate/admin/users?email=alice@example.com"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", boss.base)
	resp, err := boss.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/.authgate/wait/") {
		t.Fatalf("step-up: %d %q", resp.StatusCode, loc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id := strings.TrimPrefix(loc, "/.authgate/wait/")
	l, err := cg.gw.store.GetLogin(ctx, id)
	if err != nil || l.Email != "boss@example.com" {
		t.Fatalf("the step-up login: %+v %v", l, err)
	}
	if _, err := bossPhone.Decide(ctx, id, "approve", l.Code); err != nil {
		t.Fatal(err)
	}
	var chk checkResponse
	if status := getJSON(t, boss, "/.authgate/auth/check/"+id, &chk); status != http.StatusOK || !strings.HasPrefix(chk.Redirect, "/.authgate/admin/stepup/done") {
		t.Fatalf("check: %d %+v", status, chk)
	}
	if status, body := boss.send(http.MethodGet, chk.Redirect, nil, nil); status != http.StatusSeeOther && status != http.StatusOK {
		t.Fatalf("step-up done: %d %s", status, body)
	}
	newSessions, _ := cg.gw.store.ListSessions(context.Background(), "boss@example.com")
	if len(newSessions) != 1 || newSessions[0].ID == oldSessions[0].ID {
		t.Fatalf("after step-up boss has sessions %+v (before %+v): want the new one only", newSessions, oldSessions)
	}
	var fresh string
	u, _ := url.Parse(boss.base)
	for _, c := range boss.http.Jar.Cookies(u) {
		if c.Name == cookieSession {
			fresh = c.Value
		}
	}
	aliceSessions, _ := cg.gw.store.ListSessions(context.Background(), "alice@example.com")
	form := url.Values{"csrf": {csrfToken(fresh)}}
	if status, _ := boss.send(http.MethodPost, "/.authgate/admin/users/sessions/"+aliceSessions[0].ID+"/revoke", form,
		map[string]string{"Origin": boss.base}); status != http.StatusSeeOther {
		t.Fatalf("revoke after step-up: %d", status)
	}
	if status, loc, _ := alice.page("/app"); status != http.StatusFound || !strings.HasPrefix(loc, "/.authgate/login") {
		t.Fatalf("alice after revocation: %d %q, want the gate", status, loc)
	}
	if status, body := boss.send(http.MethodPost, "/.authgate/admin/events/evt_1/replay", form, map[string]string{"Origin": boss.base}); status != http.StatusSeeOther {
		t.Fatalf("replay: %d %s", status, body)
	}
	// The trail, newest first: the admin actions with boss as the actor,
	// after the events they caused.
	deadline := time.Now().Add(5 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		p, _ := cg.trail.List(context.Background(), audit.Query{})
		got = got[:0]
		for _, e := range p.Entries {
			got = append(got, e.Type+" by "+e.Actor)
		}
		if len(got) >= 5 && strings.HasPrefix(got[0], "admin.event_replay") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := []string{
		"admin.event_replay by boss@example.com",
		"admin.session_revoke by boss@example.com",
		"session_revoked by boss@example.com",
		"admin.step_up by boss@example.com",
		"session_revoked by boss@example.com",
		"login by boss@example.com",
	}
	if len(got) < len(want) || strings.Join(got[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Fatalf("trail:\n%s\nwant it to begin with:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// inlineCode matches inline script, inline style and event handlers,
// which the Content-Security-Policy would refuse.
var inlineCode = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]|<style|\sstyle=|\son[a-z]+=|="\s*javascript:`)

func TestConsolePagesCarryNoInlineCode(t *testing.T) {
	cg := startConsoleGate(t, newMemoryStore(t), time.Minute)
	phone := cg.enroll(t, "alice@example.com")
	cg.loginWith(t, cg.browser(t), phone, "alice@example.com")
	bossPhone := cg.enroll(t, "boss@example.com")
	boss := cg.browser(t)
	raw := cg.loginWith(t, boss, bossPhone, "boss@example.com")
	form := url.Values{"csrf": {csrfToken(raw)}, "email": {"alice@example.com"}}
	pages := map[string]string{}
	for _, path := range []string{"/.authgate/admin/", "/.authgate/admin/users?email=alice@example.com",
		"/.authgate/admin/webhooks", "/.authgate/admin/webhooks/wh_1", "/.authgate/admin/audit", "/.authgate/admin/audit?since=bad"} {
		_, body := boss.send(http.MethodGet, path, nil, nil)
		pages[path] = body
	}
	status, body := boss.send(http.MethodPost, "/.authgate/admin/users/enroll", form, map[string]string{"Origin": boss.base})
	if status != http.StatusOK || !strings.Contains(body, `id="enrol-qr" src="data:image/png;base64,`) {
		t.Fatalf("enrolment link page: %d\n%s", status, body)
	}
	pages["enroll"] = body
	for path, body := range pages {
		if !strings.Contains(body, "</main>") {
			t.Errorf("%s did not render:\n%s", path, body)
		}
		if m := inlineCode.FindString(body); m != "" {
			t.Errorf("inline code %q in %s", m, path)
		}
		if strings.Contains(body, "gone <b>") {
			t.Errorf("%s did not escape data", path)
		}
		if !strings.Contains(body, `<span id="site-title">console-test</span>`) || !strings.Contains(body, "· console-test</title>") {
			t.Errorf("%s does not name the site in its header and tab title", path)
		}
	}
	if !strings.Contains(pages["/.authgate/admin/audit?since=bad"], "since:") {
		t.Errorf("a bad filter is not explained")
	}
}

// TestConsoleShowsACodePauseAndLiftsIt: after wrong typed codes, the
// user's page says codes are paused (push sign-ins still work) and
// offers the unblock that lifts it.
func TestConsoleShowsACodePauseAndLiftsIt(t *testing.T) {
	cg := startConsoleGate(t, newMemoryStore(t), time.Minute)
	cg.enroll(t, "alice@example.com")
	bossPhone := cg.enroll(t, "boss@example.com")
	boss := cg.browser(t)
	cg.loginWith(t, boss, bossPhone, "boss@example.com")
	page := "/.authgate/admin/users?email=alice@example.com"
	if status, body := boss.send(http.MethodGet, page, nil, nil); status != http.StatusOK || !strings.Contains(body, "Codes accepted") || strings.Contains(body, `id="unblock"`) {
		t.Fatalf("before any wrong code: %d, codes accepted %v", status, strings.Contains(body, "Codes accepted"))
	}
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		if left, err := cg.gw.flow.CodePauseLeft(ctx, "alice@example.com"); err != nil || left > 0 {
			break
		}
		s, err := cg.gw.flow.Start(ctx, flow.StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.9", Quiet: true, ReturnURL: "/"})
		if err != nil {
			t.Fatalf("starting a code login: %v", err)
		}
		_, _ = cg.gw.flow.RedeemCode(ctx, s.Login.ID, s.Binding, "000000")
	}
	status, body := boss.send(http.MethodGet, page, nil, nil)
	if status != http.StatusOK || !strings.Contains(body, "Codes paused") || !strings.Contains(body, "sign-ins by phone still work") || !strings.Contains(body, `id="unblock"`) {
		t.Fatalf("after wrong codes: %d\n%s", status, body)
	}
}
