package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store/memory"
	"github.com/authgate/authgate/gate/token"
)

// countingNext is the upstream in these tests: it counts calls and keeps
// the identity it was handed.
type countingNext struct {
	calls int
	email string
}

func (n *countingNext) ServeHTTP(_ http.ResponseWriter, r *http.Request) error {
	n.calls++
	n.email = r.Header.Get(HeaderEmail)
	return nil
}

// newTestGateway returns a running gateway over a memory store, a route
// allowing example.com, and a valid session cookie for alice.
func newTestGateway(tb testing.TB) (*Gateway, *Route, string) {
	tb.Helper()
	st := memory.New()
	tb.Cleanup(func() { st.Close() })
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	g, err := New(Config{}, Deps{Store: st, Keys: []token.Key{key}})
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
	rt, err := g.Route(RouteConfig{AppID: "bench", Rules: policy.Rules{Domains: []string{"example.com"}}})
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	tok, err := g.tokens.Mint(token.Identity{
		Email: "alice@example.com", SessionID: "sid-1", DeviceID: "dev-1", Groups: []string{"ops"},
		Epoch: g.revocations.Epoch(), IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return g, rt, tok
}

// protectedRequest is a browser request to the app with the session
// cookie and one cookie of the app's own.
func protectedRequest(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://app.example.com/dashboard", nil)
	r.Header.Set("Accept", "text/html")
	r.Header.Set("Cookie", "theme=dark; authgate_session="+tok)
	return r
}

func TestValidCookieReachesUpstreamWithIdentity(t *testing.T) {
	_, rt, tok := newTestGateway(t)
	next := &countingNext{}
	w := httptest.NewRecorder()
	r := protectedRequest(tok)
	r.Header.Set("Remote_Email", "mallory@example.com")
	if err := rt.ServeHTTP(w, r, next); err != nil {
		t.Fatal(err)
	}
	if next.calls != 1 || next.email != "alice@example.com" {
		t.Fatalf("upstream calls %d, email %q", next.calls, next.email)
	}
	if r.Header.Get("Remote_Email") != "" || r.Header.Get("Cookie") != "theme=dark" {
		t.Fatalf("request headers upstream: %v", r.Header)
	}
}

func TestPolicyRefusalIs403AndNeverReachesUpstream(t *testing.T) {
	g, _, tok := newTestGateway(t)
	rt, err := g.Route(RouteConfig{AppID: "strict", Rules: policy.Rules{Emails: []string{"bob@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	next := &countingNext{}
	w := httptest.NewRecorder()
	if err := rt.ServeHTTP(w, protectedRequest(tok), next); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusForbidden || next.calls != 0 {
		t.Fatalf("status %d, upstream calls %d; want 403 and none", w.Code, next.calls)
	}
}

// The hot path's budget: a valid cookie with a warm cache costs at most 5
// allocations per request (the aim of the walking-gateway and benchmark
// issues). AllocsPerRun counts exactly; no timing is asserted.
// cookieLines returns n fresh Cookie header values, one per request: the
// gateway edits a request's own header slice in place, as a server's
// request owns it.
func cookieLines(r *http.Request, n int) [][]string {
	lines := make([][]string, n)
	for i := range lines {
		lines[i] = []string{r.Header.Get("Cookie")}
	}
	return lines
}

func TestHotPathAllocations(t *testing.T) {
	_, rt, tok := newTestGateway(t)
	next := &countingNext{}
	w := httptest.NewRecorder()
	r := protectedRequest(tok)
	const runs = 1000
	lines := cookieLines(r, runs+2)
	i := 0
	serve := func() {
		r.Header["Cookie"] = lines[i]
		i++
		if err := rt.ServeHTTP(w, r, next); err != nil {
			t.Fatal(err)
		}
	}
	serve() // warm the token cache
	allocs := testing.AllocsPerRun(runs, serve)
	t.Logf("hot path: %.1f allocs per request", allocs)
	if allocs > 5 {
		t.Fatalf("hot path allocates %.1f times per request; the budget is 5", allocs)
	}
	if next.email != "alice@example.com" {
		t.Fatalf("upstream saw %q", next.email)
	}
}

// BenchmarkProtectedRequest measures the gateway's own cost for a request
// with a valid cookie (warm cache), upstream excluded.
func BenchmarkProtectedRequest(b *testing.B) {
	_, rt, tok := newTestGateway(b)
	next := &countingNext{}
	w := httptest.NewRecorder()
	r := protectedRequest(tok)
	lines := cookieLines(r, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Header["Cookie"] = lines[i]
		_ = rt.ServeHTTP(w, r, next)
	}
	if next.calls != b.N {
		b.Fatalf("%d of %d requests reached upstream", next.calls, b.N)
	}
}

// BenchmarkProtectedRequestColdCache measures a first sight of each token:
// every request carries a token the gateway has not verified before.
func BenchmarkProtectedRequestColdCache(b *testing.B) {
	g, rt, _ := newTestGateway(b)
	next := &countingNext{}
	w := httptest.NewRecorder()
	now := time.Now()
	cookies := make([][]string, b.N)
	for i := range cookies {
		tok, err := g.tokens.Mint(token.Identity{
			Email: "alice@example.com", SessionID: "sid-" + strconv.Itoa(i), DeviceID: "dev-1",
			Epoch: g.revocations.Epoch(), IssuedAt: now, ExpiresAt: now.Add(time.Hour),
		})
		if err != nil {
			b.Fatal(err)
		}
		cookies[i] = []string{"authgate_session=" + tok}
	}
	r := protectedRequest("")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Header["Cookie"] = cookies[i]
		_ = rt.ServeHTTP(w, r, next)
	}
	if next.calls != b.N {
		b.Fatalf("%d of %d requests reached upstream", next.calls, b.N)
	}
}

func TestPublicPathsPassWithoutLoginButNeverWithASpoofedIdentity(t *testing.T) {
	g, _, _ := newTestGateway(t)
	rt, err := g.Route(RouteConfig{AppID: "site", Public: []string{"/public/", "/health", "/assets/*"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   string
		public bool
	}{
		{"/public/logo.png", true},
		{"/public/", true},
		{"/health", true},
		{"/health/live", true},
		{"/healthz", false},
		{"/health-admin", false},
		{"/health.php", false},
		{"/assets/app.css", true},
		{"/assets", false},
		{"/assetsx/app.css", false},
		{"/publicity", false},
		{"/public/../admin", false},
		{"/public/./x", false},
		{"/public//x", false},
		{"/public\\..\\admin", false},
		{"/private", false},
		{"/", false},
	}
	for _, tt := range tests {
		next := &countingNext{}
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "http://app.example.com/", nil)
		r.URL.Path = tt.path
		r.Header.Set("Accept", "application/json")
		r.Header["Remote-Email"] = []string{"mallory@example.com"}
		r.Header["Remote_User"] = []string{"mallory@example.com"}
		if err := rt.ServeHTTP(w, r, next); err != nil {
			t.Fatal(err)
		}
		if tt.public {
			if next.calls != 1 || next.email != "" || r.Header["Remote_User"] != nil {
				t.Errorf("%s: calls %d, upstream email %q, headers %v; want a pass without identity", tt.path, next.calls, next.email, r.Header)
			}
		} else if next.calls != 0 || w.Code != http.StatusUnauthorized {
			t.Errorf("%s: calls %d, status %d; want 401 and no upstream call", tt.path, next.calls, w.Code)
		}
	}
	// A signed-in browser's cookies go with it to public paths too: the
	// upstream never gets the session token or the binding secret.
	for _, secure := range []bool{false, true} {
		r := httptest.NewRequest(http.MethodGet, "http://app.example.com/public/logo.png", nil)
		session, binding := "authgate_session", "authgate_bind"
		if secure {
			r.TLS = &tls.ConnectionState{}
			session, binding = "__Host-authgate", "__Host-authgate_bind"
		}
		r.Header.Set("Cookie", "theme=dark; "+session+"=the-token; "+binding+"=the-secret")
		next := &captureNext{}
		if err := rt.ServeHTTP(httptest.NewRecorder(), r, next); err != nil {
			t.Fatal(err)
		}
		if next.calls != 1 || next.header.Get("Cookie") != "theme=dark" {
			t.Errorf("public path (TLS %v): calls %d, upstream Cookie %q; want only theme=dark", secure, next.calls, next.header.Get("Cookie"))
		}
	}
	for _, bad := range [][]string{{"public"}, {"/"}, {"/.authgate/x"}, {"/*"}, {"/static/*.css"}, {"/a*/b"}} {
		if _, err := g.Route(RouteConfig{Public: bad}); err == nil {
			t.Errorf("public %q accepted", bad)
		}
	}
}

// A valid cookie is served without any store round trip: once the token
// is cached, the store can be closed and the request still passes.
func TestHotPathMakesNoStoreRoundTrip(t *testing.T) {
	g, rt, tok := newTestGateway(t)
	next := &countingNext{}
	serve := func() int {
		w := httptest.NewRecorder()
		if err := rt.ServeHTTP(w, protectedRequest(tok), next); err != nil {
			t.Fatal(err)
		}
		return w.Code
	}
	serve() // warm the token cache
	if err := g.store.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.store.GetSession(context.Background(), "sid-1"); err == nil {
		t.Fatal("the closed store still answers; this test would prove nothing")
	}
	before := next.calls
	if code := serve(); code != http.StatusOK || next.calls != before+1 || next.email != "alice@example.com" {
		t.Fatalf("with the store closed: status %d, upstream calls %d", code, next.calls-before)
	}
}

func TestJWKSPublishesOnlyPublicKeys(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	key, err := token.GenerateEdDSAKey()
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{}, Deps{Store: st, Keys: []token.Key{key}})
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := g.Route(RouteConfig{})
	w := httptest.NewRecorder()
	if err := rt.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://app.example.com/.authgate/jwks.json", nil), &countingNext{}); err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil || w.Code != http.StatusOK || len(set.Keys) != 1 {
		t.Fatalf("JWKS: %d %s", w.Code, w.Body)
	}
	k := set.Keys[0]
	if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["kid"] != key.ID || k["x"] == nil || k["d"] != nil {
		t.Fatalf("JWKS key %v", k)
	}
}

// Signing out everywhere refuses every token of the user on this instance
// at once, including tokens of other sessions.
func TestSignOutEverywhereRefusesEveryTokenAtOnce(t *testing.T) {
	g, rt, tok := newTestGateway(t)
	now := time.Now()
	other, err := g.tokens.Mint(token.Identity{Email: "alice@example.com", SessionID: "sid-2", DeviceID: "dev-1",
		Epoch: g.revocations.Epoch(), IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	form := "csrf=" + csrfToken(tok) + "&everywhere=1"
	r := httptest.NewRequest(http.MethodPost, "http://app.example.com/.authgate/logout", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Cookie", "authgate_session="+tok)
	w := httptest.NewRecorder()
	if err := rt.ServeHTTP(w, r, &countingNext{}); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d %s", w.Code, w.Body)
	}
	for _, cookie := range []string{tok, other} {
		next := &countingNext{}
		w := httptest.NewRecorder()
		if err := rt.ServeHTTP(w, protectedRequest(cookie), next); err != nil {
			t.Fatal(err)
		}
		if next.calls != 0 || w.Code != http.StatusFound {
			t.Fatalf("a token after signing out everywhere: status %d, upstream calls %d", w.Code, next.calls)
		}
	}
}
