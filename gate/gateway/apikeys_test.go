package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/authgate/authgate/gate/apikey"
	"github.com/authgate/authgate/gate/directory"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store/memory"
	"github.com/authgate/authgate/gate/token"
)

// keyFixture is a running gateway with alice in group ops, a route for
// example.com, a session cookie of alice approved just now and one of
// hers approved an hour ago, and a key of hers.
type keyFixture struct {
	g        *Gateway
	rt       *Route
	cookie   string
	oldLogin string
	key      *apikey.Created
	logs     *observer.ObservedLogs
}

func newKeyFixture(tb testing.TB, mode APIKeyMode, keys ...apikey.Config) *keyFixture {
	return newKeyFixtureWith(tb, mode, nil, keys...)
}

// newKeyFixtureWith is newKeyFixture with a user directory.
func newKeyFixtureWith(tb testing.TB, mode APIKeyMode, dir directory.Directory, keys ...apikey.Config) *keyFixture {
	tb.Helper()
	st := memory.New()
	tb.Cleanup(func() { st.Close() })
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	cfg := Config{Groups: map[string][]string{"ops": {"alice@example.com"}}}
	if len(keys) > 0 {
		cfg.APIKeys = keys[0]
	}
	g, err := New(cfg,
		Deps{Store: st, Keys: []token.Key{key}, Logger: zap.New(core), Directory: dir})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	select {
	case <-g.Synced():
	case <-time.After(5 * time.Second):
		tb.Fatal("revocations never synced")
	}
	rt, err := g.Route(RouteConfig{AppID: "bench", Rules: policy.Rules{Domains: []string{"example.com"}}, APIKeys: mode})
	if err != nil {
		tb.Fatal(err)
	}
	mint := func(sid string, at time.Time) string {
		tok, err := g.tokens.Mint(token.Identity{Email: "alice@example.com", SessionID: sid, DeviceID: "dev-1",
			Groups: []string{"ops"}, Epoch: g.revocations.Epoch(), IssuedAt: at, ExpiresAt: at.Add(12 * time.Hour)})
		if err != nil {
			tb.Fatal(err)
		}
		return tok
	}
	created, err := g.apikeys.Create(ctx, "alice@example.com", "CI", time.Time{})
	if err != nil {
		tb.Fatal(err)
	}
	return &keyFixture{g: g, rt: rt, cookie: mint("sid-1", time.Now()), oldLogin: mint("sid-old", time.Now().Add(-time.Hour)),
		key: created, logs: logs}
}

// keyRequest is a script's request with a key, and spoofed identity
// headers the gateway must replace.
func keyRequest(raw string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://app.example.com/api/items", nil)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Authorization", "Bearer "+raw)
	r.Header.Set("X-Authgate-Session", "spoofed")
	r.Header.Set("Remote-Groups", "admins")
	r.Header["X_Authgate_Key"] = []string{"spoofed"}
	return r
}

// serve runs r through the route and returns the answer and the
// upstream's view.
func (f *keyFixture) serve(t testing.TB, r *http.Request) (*httptest.ResponseRecorder, *captureNext) {
	t.Helper()
	next := &captureNext{}
	w := httptest.NewRecorder()
	if err := f.rt.ServeHTTP(w, r, next); err != nil {
		t.Fatal(err)
	}
	return w, next
}

// captureNext keeps the headers the upstream was handed.
type captureNext struct {
	calls  int
	header http.Header
}

func (n *captureNext) ServeHTTP(_ http.ResponseWriter, r *http.Request) error {
	n.calls++
	n.header = r.Header.Clone()
	return nil
}

func TestAKeyPassesAsItsOwnerWithTheSessionHeadersAndWithoutItself(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn)
	w, next := f.serve(t, keyRequest(f.key.Key))
	if w.Code != http.StatusOK || next.calls != 1 {
		t.Fatalf("status %d, upstream calls %d: %s", w.Code, next.calls, w.Body)
	}
	h := next.header
	want := map[string]string{
		"Remote-User": "alice@example.com", "Remote-Email": "alice@example.com", "Remote-Groups": "ops",
		"X-Authgate-Key": f.key.Record.ID,
	}
	for k, v := range want {
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("upstream %s = %q, want %q", k, got, v)
		}
	}
	for _, gone := range []string{"Authorization", "X-Authgate-Session", "X_Authgate_Key"} {
		if _, ok := h[gone]; ok {
			t.Errorf("upstream still gets %s: %q", gone, h[gone])
		}
	}
	// Another scheme's credentials are the upstream's business; a
	// session request never carries a key id, even a spoofed one.
	r := httptest.NewRequest(http.MethodGet, "http://app.example.com/x", nil)
	r.Header.Set("Cookie", "authgate_session="+f.cookie)
	r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	r.Header.Set("X-Authgate-Key", f.key.Record.ID)
	if _, next := f.serve(t, r); next.calls != 1 || next.header.Get("Authorization") != "Basic dXNlcjpwYXNz" ||
		next.header.Get("X-Authgate-Key") != "" || next.header.Get("X-Authgate-Session") != "sid-1" {
		t.Fatalf("a session request with Basic credentials: calls %d, headers %v", next.calls, next.header)
	}
	if _, err := f.g.ListAPIKeys(t.Context(), "not an email"); !errors.Is(err, flow.ErrInvalidEmail) {
		t.Fatalf("listing the keys of a malformed email: %v", err)
	}
}

func TestAKeySentToAPublicPathDoesNotReachTheUpstream(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn)
	rt, err := f.g.Route(RouteConfig{AppID: "site", Public: []string{"/health"}})
	if err != nil {
		t.Fatal(err)
	}
	r := keyRequest(f.key.Key)
	r.URL.Path = "/health"
	next := &captureNext{}
	if err := rt.ServeHTTP(httptest.NewRecorder(), r, next); err != nil {
		t.Fatal(err)
	}
	if next.calls != 1 || next.header.Get("Authorization") != "" || next.header.Get("Remote-User") != "" {
		t.Fatalf("public path: calls %d, upstream headers %v", next.calls, next.header)
	}
}

func TestBadKeysAre401JSONAndNeverReachUpstream(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn)
	ctx := t.Context()
	expiring, err := f.g.apikeys.Create(ctx, "alice@example.com", "short", time.Now().Add(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	revoked, _ := f.g.apikeys.Create(ctx, "alice@example.com", "gone", time.Time{})
	if w, _ := f.serve(t, keyRequest(revoked.Key)); w.Code != http.StatusOK {
		t.Fatalf("before revocation: %d", w.Code)
	}
	if _, err := f.g.RevokeAPIKey(ctx, revoked.Record.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	forged := f.key.Key[:apikey.KeyLen-3] + "AAA"
	for name, raw := range map[string]string{
		"unknown": "ag_" + strings.Repeat("A", apikey.KeyLen-3), "forged": forged, "malformed": "ag_short",
		"expired": expiring.Key, "revoked": revoked.Key,
	} {
		r := keyRequest(raw)
		r.Header.Set("Accept", "text/html") // a browser still gets JSON, not the login page
		w, next := f.serve(t, r)
		if w.Code != http.StatusUnauthorized || next.calls != 0 ||
			!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") ||
			!strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s: status %d, upstream calls %d, headers %v", name, w.Code, next.calls, w.Header())
		}
	}
}

func TestAKeyInACookieOrTheQueryStringIsRefused(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn)
	for _, cookie := range []string{"authgate_session=" + f.key.Key, "api_key=" + f.key.Key} {
		r := httptest.NewRequest(http.MethodGet, "http://app.example.com/api", nil)
		r.Header.Set("Accept", "application/json")
		r.Header.Set("Cookie", cookie)
		if w, next := f.serve(t, r); w.Code != http.StatusUnauthorized || next.calls != 0 {
			t.Errorf("key in cookie %q: status %d, upstream calls %d", cookie[:10], w.Code, next.calls)
		}
	}
	for _, q := range []string{"api_key=" + f.key.Key, "access_token=" + url.QueryEscape(" "+f.key.Key), "a=1&token=" + f.key.Key,
		"auth=" + url.QueryEscape("Bearer "+f.key.Key), "q=" + url.QueryEscape(`{"k":"`+f.key.Key+`"}`), f.key.Key, "x=ag_ag_" + f.key.Key,
		// Spellings a query parser drops or a server decodes into a key.
		"x=1;k=" + f.key.Key, "k=" + f.key.Key + "%zz", "k=ag%5F" + f.key.Key[3:], "k=%61g_" + f.key.Key[3:],
		"k=%2561g_" + f.key.Key[3:], "k=" + strings.ReplaceAll(url.PathEscape(f.key.Key), "_", "%5f")} {
		r := httptest.NewRequest(http.MethodGet, "http://app.example.com/api?"+q, nil)
		r.Header.Set("Accept", "application/json")
		r.Header.Set("Cookie", "authgate_session="+f.cookie) // even with a valid session
		if w, next := f.serve(t, r); w.Code != http.StatusUnauthorized || next.calls != 0 {
			t.Errorf("key in query %q: status %d, upstream calls %d", q[:8], w.Code, next.calls)
		}
	}
	// Nor on a path served without login: the key would reach the upstream.
	pub, err := f.g.Route(RouteConfig{AppID: "bench", Rules: policy.Rules{Domains: []string{"example.com"}}, Public: []string{"/pub/"}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "http://app.example.com/pub/x?k="+f.key.Key, nil)
	w, next := httptest.NewRecorder(), &countingNext{}
	if err := pub.ServeHTTP(w, r, next); err != nil || w.Code != http.StatusUnauthorized || next.calls != 0 {
		t.Errorf("key in a public path's query: status %d, upstream calls %d, %v", w.Code, next.calls, err)
	}
	// A query that merely mentions ag_ is nobody's key.
	r = httptest.NewRequest(http.MethodGet, "http://app.example.com/api?tag_name=ag_release&p=%zz%41"+
		"&sort=flag_enabled_for_new_checkout_experience_in_the_eu_region_beta_customers_only_v2"+
		"&n=x"+f.key.Key+"&m="+f.key.Key+"x", nil)
	r.Header.Set("Cookie", "authgate_session="+f.cookie)
	if w, next := f.serve(t, r); w.Code != http.StatusOK || next.calls != 1 {
		t.Fatalf("a query naming ag_: status %d", w.Code)
	}
}

func TestSitesMayRefuseKeysOrAcceptOnlyKeys(t *testing.T) {
	off := newKeyFixture(t, APIKeysOff)
	if w, next := off.serve(t, keyRequest(off.key.Key)); w.Code != http.StatusUnauthorized || next.calls != 0 {
		t.Fatalf("api_keys off, with a key: %d, calls %d", w.Code, next.calls)
	}
	r := httptest.NewRequest(http.MethodGet, "http://app.example.com/x", nil)
	r.Header.Set("Cookie", "authgate_session="+off.cookie)
	if w, _ := off.serve(t, r); w.Code != http.StatusOK {
		t.Fatalf("api_keys off, with a cookie: %d", w.Code)
	}

	only := newKeyFixture(t, APIKeysOnly)
	if w, _ := only.serve(t, keyRequest(only.key.Key)); w.Code != http.StatusOK {
		t.Fatalf("api_keys only, with a key: %d", w.Code)
	}
	r = httptest.NewRequest(http.MethodGet, "http://app.example.com/x", nil)
	r.Header.Set("Accept", "text/html")
	r.Header.Set("Cookie", "authgate_session="+only.cookie)
	w, next := only.serve(t, r)
	if w.Code != http.StatusUnauthorized || next.calls != 0 || w.Header().Get("Location") != "" {
		t.Fatalf("api_keys only, with a cookie: %d, calls %d, location %q", w.Code, next.calls, w.Header().Get("Location"))
	}
	// The gate's own pages still work there, so users can make keys.
	r = httptest.NewRequest(http.MethodGet, "http://app.example.com/.authgate/", nil)
	r.Header.Set("Cookie", "authgate_session="+only.cookie)
	if w, _ := only.serve(t, r); w.Code != http.StatusOK {
		t.Fatalf("api_keys only, the account page: %d", w.Code)
	}
	if _, err := ParseAPIKeyMode("sometimes"); err == nil {
		t.Fatal("a bad mode parsed")
	}
}

func TestAKeyIsHeldToTheSitePolicy(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn)
	rt, err := f.g.Route(RouteConfig{AppID: "ops-only", Rules: policy.Rules{Groups: []string{"admins"}}})
	if err != nil {
		t.Fatal(err)
	}
	next := &captureNext{}
	w := httptest.NewRecorder()
	if err := rt.ServeHTTP(w, keyRequest(f.key.Key), next); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusForbidden || next.calls != 0 {
		t.Fatalf("a key outside the policy: %d, calls %d", w.Code, next.calls)
	}
}

// postForm posts a form to a gate path with a session cookie and, when
// key is set, an API key in Authorization.
func (f *keyFixture) postForm(t *testing.T, path, cookie, key string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://app.example.com"+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != "" {
		r.Header.Set("Cookie", "authgate_session="+cookie)
	}
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	w, _ := f.serve(t, r)
	return w
}

func TestCreatingAKeyNeedsAFreshBrowserSignInNotAKey(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn)
	form := func(cookie string) url.Values {
		return url.Values{"csrf": {csrfToken(cookie)}, "name": {"deploy"}, "expires": {"7d"}}
	}
	if w := f.postForm(t, "/.authgate/keys", "", f.key.Key, form(f.cookie)); w.Code != http.StatusForbidden {
		t.Fatalf("creating a key with a key: %d", w.Code)
	}
	w := f.postForm(t, "/.authgate/keys", f.oldLogin, "", form(f.oldLogin))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "recent sign-in") || strings.Contains(w.Body.String(), `id="new-key-value"`) {
		t.Fatalf("creating a key an hour after signing in: %d", w.Code)
	}
	if w := f.postForm(t, "/.authgate/keys", f.cookie, "", url.Values{"name": {"x"}, "expires": {"7d"}}); w.Code != http.StatusForbidden {
		t.Fatalf("creating a key without CSRF: %d", w.Code)
	}
	for _, exp := range []string{"forever", "0s", "-1h", "0d", "1826d", "500ms", "6000h0m1s" + "0"} {
		bad := form(f.cookie)
		bad.Set("expires", exp)
		if w := f.postForm(t, "/.authgate/keys", f.cookie, "", bad); w.Code != http.StatusBadRequest {
			t.Errorf("expiry %q: %d, want 400", exp, w.Code)
		}
	}
	for in, want := range map[string]time.Duration{"": 0, "30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "2s": 2 * time.Second} {
		if got, ok := parseKeyLifetime(in); !ok || got != want {
			t.Errorf("parseKeyLifetime(%q) = %v, %v", in, got, ok)
		}
	}
	w = f.postForm(t, "/.authgate/keys", f.cookie, "", form(f.cookie))
	if w.Code != http.StatusOK {
		t.Fatalf("creating a key: %d %s", w.Code, w.Body)
	}
	body := w.Body.String()
	i := strings.Index(body, `id="new-key-value">`)
	if i < 0 {
		t.Fatalf("the page does not show the new key")
	}
	raw := body[i+len(`id="new-key-value">`):][:apikey.KeyLen]
	if w, next := f.serve(t, keyRequest(raw)); w.Code != http.StatusOK || next.header.Get("Remote-Email") != "alice@example.com" {
		t.Fatalf("the new key: %d", w.Code)
	}
	keys, _ := f.g.ListAPIKeys(t.Context(), "Alice@Example.com")
	if len(keys) == 2 && keys[1].ID == f.key.Record.ID { // made in the same millisecond: ordered by id
		keys[0], keys[1] = keys[1], keys[0]
	}
	if len(keys) != 2 || keys[1].ExpiresAt.IsZero() || keys[1].Name != "deploy" {
		t.Fatalf("listed keys %+v %+v", keys[0], keys[len(keys)-1])
	}
	// The page lists keys but never shows a key again.
	r := httptest.NewRequest(http.MethodGet, "http://app.example.com/.authgate/", nil)
	r.Header.Set("Cookie", "authgate_session="+f.cookie)
	page, _ := f.serve(t, r)
	if !strings.Contains(page.Body.String(), keys[1].ID) || strings.Contains(page.Body.String(), raw) {
		t.Fatal("the account page lists the key id, or shows the key")
	}
	// Revoking it from the page refuses it at once.
	if w := f.postForm(t, "/.authgate/keys/"+keys[1].ID+"/revoke", f.cookie, "", url.Values{"csrf": {csrfToken(f.cookie)}}); w.Code != http.StatusSeeOther {
		t.Fatalf("revoking from the page: %d", w.Code)
	}
	if w, _ := f.serve(t, keyRequest(raw)); w.Code != http.StatusUnauthorized {
		t.Fatalf("the revoked key: %d", w.Code)
	}
}

// A form that names no expiry makes a key of the form's default, 30
// days; only an expiry sent empty (the form's "never") makes one that
// never expires.
func TestAKeyWithoutAnExpiryGetsTheDefaultNotNever(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn)
	for name, form := range map[string]url.Values{
		"no expiry": {"csrf": {csrfToken(f.cookie)}, "name": {"no expiry"}},
		"never":     {"csrf": {csrfToken(f.cookie)}, "name": {"never"}, "expires": {""}},
	} {
		if w := f.postForm(t, "/.authgate/keys", f.cookie, "", form); w.Code != http.StatusOK {
			t.Fatalf("%s: %d", name, w.Code)
		}
	}
	keys, err := f.g.ListAPIKeys(t.Context(), "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, k := range keys {
		switch k.Name {
		case "no expiry":
			found++
			if left := time.Until(k.ExpiresAt); left < 30*24*time.Hour-time.Minute || left > 30*24*time.Hour {
				t.Errorf("a key made without an expiry expires at %v, want in 30 days", k.ExpiresAt)
			}
		case "never":
			found++
			if !k.ExpiresAt.IsZero() {
				t.Errorf("a key made with an empty expiry expires at %v, want never", k.ExpiresAt)
			}
		}
	}
	if found != 2 {
		t.Fatalf("listed keys: %+v", keys)
	}
}

func TestAUserCannotRevokeAnotherUsersKey(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn)
	bobs, _ := f.g.apikeys.Create(t.Context(), "bob@example.com", "bob's", time.Time{})
	w := f.postForm(t, "/.authgate/keys/"+bobs.Record.ID+"/revoke", f.cookie, "", url.Values{"csrf": {csrfToken(f.cookie)}})
	if w.Code != http.StatusNotFound {
		t.Fatalf("alice revoking bob's key: %d", w.Code)
	}
	if w, _ := f.serve(t, keyRequest(bobs.Key)); w.Code != http.StatusOK {
		t.Fatalf("bob's key after alice tried: %d", w.Code)
	}
}

// A warm key is served without a store round trip: with the store
// closed, it still passes.
func TestAWarmKeyMakesNoStoreRoundTrip(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn)
	if w, _ := f.serve(t, keyRequest(f.key.Key)); w.Code != http.StatusOK {
		t.Fatal(w.Code)
	}
	if err := f.g.store.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.g.store.GetAPIKey(context.Background(), f.key.Record.ID); err == nil {
		t.Fatal("the closed store still answers; this test would prove nothing")
	}
	if w, next := f.serve(t, keyRequest(f.key.Key)); w.Code != http.StatusOK || next.calls != 1 {
		t.Fatalf("with the store closed: %d", w.Code)
	}
	// A key never seen before fails closed: 503, not a pass.
	other := "ag_" + strings.Repeat("B", apikey.KeyLen-4) + "A"
	if w, next := f.serve(t, keyRequest(other)); w.Code != http.StatusServiceUnavailable || next.calls != 0 {
		t.Fatalf("an unseen key with the store closed: %d", w.Code)
	}
	for _, e := range f.logs.All() {
		line := e.Message
		for _, fld := range e.Context {
			line += " " + fld.String + " " + fld.Key
			if err, ok := fld.Interface.(error); ok {
				line += " " + err.Error()
			}
		}
		if strings.Contains(line, "ag_") {
			t.Fatalf("a log line holds a key: %s", line)
		}
	}
}

// keyLines returns n fresh Authorization values, one per request: the
// gateway deletes the header from the request it is handed.
func keyLines(raw string, n int) [][]string {
	lines := make([][]string, n)
	for i := range lines {
		lines[i] = []string{"Bearer " + raw}
	}
	return lines
}

// The key's hot path has the cookie's budget: at most 5 allocations per
// warm request.
func TestKeyHotPathAllocations(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn, apikey.Config{RateLimit: 1 << 30})
	next := &countingNext{}
	w := httptest.NewRecorder()
	r := keyRequest(f.key.Key)
	const runs = 1000
	lines := keyLines(f.key.Key, runs+2)
	i := 0
	serve := func() {
		r.Header["Authorization"] = lines[i]
		i++
		if err := f.rt.ServeHTTP(w, r, next); err != nil {
			t.Fatal(err)
		}
	}
	serve() // warm the key cache
	allocs := testing.AllocsPerRun(runs, serve)
	t.Logf("key hot path: %.1f allocs per request", allocs)
	if allocs > 5 {
		t.Fatalf("the key hot path allocates %.1f times per request; the budget is 5", allocs)
	}
	if next.email != "alice@example.com" || next.calls != runs+2 {
		t.Fatalf("upstream saw %q, %d calls", next.email, next.calls)
	}
}

// BenchmarkProtectedRequestAPIKey measures the gateway's own cost for a
// request with a valid API key (warm cache), upstream excluded: the key
// variant of BenchmarkProtectedRequest.
func BenchmarkProtectedRequestAPIKey(b *testing.B) {
	f := newKeyFixture(b, APIKeysOn, apikey.Config{RateLimit: 1 << 30})
	next := &countingNext{}
	w := httptest.NewRecorder()
	r := keyRequest(f.key.Key)
	r.Header.Del("X-Authgate-Session")
	r.Header.Del("Remote-Groups")
	delete(r.Header, "X_Authgate_Key")
	lines := keyLines(f.key.Key, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Header["Authorization"] = lines[i]
		_ = f.rt.ServeHTTP(w, r, next)
	}
	if next.calls != b.N {
		b.Fatalf("%d of %d requests reached upstream", next.calls, b.N)
	}
}

// FuzzKeyParsing: the header and query readers never panic, and what
// they find is shaped like a key.
func FuzzKeyParsing(f *testing.F) {
	f.Add("Bearer ag_"+strings.Repeat("A", apikey.KeyLen-3), "api_key=ag_"+strings.Repeat("A", apikey.KeyLen-3))
	f.Add("bearer   ag_", "ag_ag_ag_&x=%zz")
	f.Fuzz(func(t *testing.T, header, query string) {
		if raw, ok := bearerKey([]string{header}); ok && !strings.HasPrefix(raw, apikey.Prefix) {
			t.Fatalf("bearerKey(%q) = %q", header, raw)
		}
		if keyInQuery(query) && !strings.Contains(query, apikey.Prefix) && !strings.Contains(query, "%") {
			t.Fatalf("keyInQuery(%q) without the prefix or an escape", query)
		}
	})
}

// fakeDirectory answers lookups from a map; down makes every lookup fail.
type fakeDirectory struct {
	users map[string][]string
	down  bool
}

func (d *fakeDirectory) Lookup(_ context.Context, email string) (directory.User, bool, error) {
	if d.down {
		return directory.User{}, false, fmt.Errorf("%w: test directory down", directory.ErrUnavailable)
	}
	groups, ok := d.users[email]
	return directory.User{DN: "uid=" + email, Groups: groups}, ok, nil
}

func TestAKeyTakesItsOwnersDirectoryGroupsAndDiesWithTheOwner(t *testing.T) {
	dir := &fakeDirectory{users: map[string][]string{"alice@example.com": {"devs"}}}
	f := newKeyFixtureWith(t, APIKeysOn, dir)
	w, next := f.serve(t, keyRequest(f.key.Key))
	if w.Code != http.StatusOK || next.header.Get("Remote-Groups") != "devs,ops" {
		t.Fatalf("with alice in the directory: %d, groups %q", w.Code, next.header.Get("Remote-Groups"))
	}
	bobs, err := f.g.apikeys.Create(t.Context(), "bob@example.com", "bob's", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if w, next := f.serve(t, keyRequest(bobs.Key)); w.Code != http.StatusUnauthorized || next.calls != 0 {
		t.Fatalf("a key of a user the directory lacks: %d", w.Code)
	}
	dir.down = true
	other, _ := f.g.apikeys.Create(t.Context(), "alice@example.com", "second", time.Time{})
	if w, next := f.serve(t, keyRequest(other.Key)); w.Code != http.StatusServiceUnavailable || next.calls != 0 {
		t.Fatalf("a new key with the directory down: %d, want 503", w.Code)
	}
	if w, _ := f.serve(t, keyRequest(f.key.Key)); w.Code != http.StatusOK {
		t.Fatalf("a warm key with the directory down: %d, want 200 (as logged-in users are)", w.Code)
	}
}

// TestCreatingAKeyNeedsAPhoneApproval: a fresh sign-in with a recovery
// code or an access pass makes no key (a key outlives signing out
// everywhere, so it must not be the reward of a stolen code), as it
// makes no new recovery codes.
func TestCreatingAKeyNeedsAPhoneApproval(t *testing.T) {
	f := newKeyFixture(t, APIKeysOn)
	for _, by := range []string{otp.ByRecoveryCode, otp.ByAccessPass} {
		now := time.Now()
		cookie, err := f.g.tokens.Mint(token.Identity{Email: "alice@example.com", SessionID: "sid-" + by, DeviceID: by,
			Groups: []string{"ops"}, Epoch: f.g.revocations.Epoch(), IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		w := f.postForm(t, "/.authgate/keys", cookie, "", url.Values{"csrf": {csrfToken(cookie)}, "name": {"x"}, "expires": {"7d"}})
		if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), `id="new-key-value"`) || !strings.Contains(w.Body.String(), `id="key-relogin"`) {
			t.Errorf("a key after a sign-in by %s: %d", by, w.Code)
		}
	}
	if keys, _ := f.g.ListAPIKeys(t.Context(), "alice@example.com"); len(keys) != 1 {
		t.Fatalf("alice has %d keys, want only the fixture's", len(keys))
	}
}
