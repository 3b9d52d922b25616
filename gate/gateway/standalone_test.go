package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authgate/authgate/gate/apps"
	"github.com/authgate/authgate/gate/token"
)

func newTestServer(t *testing.T) *Server {
	t.Helper()
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{}, Deps{Store: newMemoryStore(t), Keys: []token.Key{key}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := g.Server(ServerConfig{Apps: []apps.App{
		{ID: "my-app", Origins: []string{"https://app.example.com"}, Secret: "my-app-secret-0123456789"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func serve(s *Server, method, path, origin string, h http.Header, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://auth.example.com"+path, strings.NewReader(body))
	for k, v := range h {
		r.Header[k] = v
	}
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestPreflightAnswersOnlyListedOriginsWithoutCredentials(t *testing.T) {
	s := newTestServer(t)
	pre := http.Header{"Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"content-type"}}
	w := serve(s, http.MethodOptions, "/auth/start", "https://app.example.com", pre, "")
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		w.Header().Get("Access-Control-Allow-Credentials") != "" || !strings.Contains(w.Header().Get("Vary"), "Origin") {
		t.Fatalf("preflight of a listed origin: %d %v", w.Code, w.Header())
	}
	for _, c := range []struct {
		name, path, origin string
		h                  http.Header
	}{
		{"an unlisted origin", "/auth/start", "https://evil.example", pre},
		{"a null origin", "/auth/start", "null", pre},
		{"an Authorization header", "/auth/start", "https://app.example.com",
			http.Header{"Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization"}}},
		{"a DELETE", "/auth/check/x", "https://app.example.com", http.Header{"Access-Control-Request-Method": {"DELETE"}}},
		{"webhook registration", "/api/webhooks", "https://app.example.com", pre},
	} {
		w := serve(s, http.MethodOptions, c.path, c.origin, c.h, "")
		if w.Code/100 == 2 || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight with %s: %d %v", c.name, w.Code, w.Header())
		}
	}
}

// originCase is a request's origin (and headers) and the status the
// API answers it with.
type originCase struct {
	origin string
	h      http.Header
	want   int
}

// originCases are the origins the API's calls are tried from: only the
// app's listed one, the gate's own pages and servers get an answer.
func originCases() []originCase {
	return []originCase{
		{"https://evil.example", nil, http.StatusForbidden},
		{"", http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"https://app.example.com", nil, http.StatusOK},
		{"", nil, http.StatusOK},                                    // a server-side client
		{"http://auth.example.com", nil, http.StatusOK},             // the gate's own pages
		{"http://auth.example.com:8443", nil, http.StatusForbidden}, // another port of its host
	}
}

func TestStartRefusesOriginsTheAppDoesNotList(t *testing.T) {
	s := newTestServer(t)
	for i, c := range originCases() {
		body := fmt.Sprintf(`{"app_id":"my-app","email":"user%d@example.com"}`, i)
		w := serve(s, http.MethodPost, "/auth/start", c.origin, c.h, body)
		if w.Code != c.want {
			t.Errorf("start from %q %v: %d %s, want %d", c.origin, c.h, w.Code, w.Body, c.want)
		}
		if acao := w.Header().Get("Access-Control-Allow-Origin"); acao == "*" || (c.want != http.StatusOK && acao != "") {
			t.Errorf("start from %q: Access-Control-Allow-Origin %q", c.origin, acao)
		}
		if strings.Contains(w.Header().Get("Set-Cookie"), cookieBinding) {
			t.Errorf("an API start set the binding cookie")
		}
	}
	if w := serve(s, http.MethodPost, "/auth/start", "", nil, `{"app_id":"nope","email":"alice@example.com"}`); w.Code != http.StatusBadRequest {
		t.Errorf("start for an unknown app: %d", w.Code)
	}
}

// TestVerifyRefusesOriginsNoAppLists: a browser at an origin no app lists
// is refused before the token is looked at; servers (no Origin) and
// listed origins get the answer.
func TestVerifyRefusesOriginsNoAppLists(t *testing.T) {
	s := newTestServer(t)
	for _, c := range originCases() {
		w := serve(s, http.MethodGet, "/auth/verify?token=not-a-token", c.origin, c.h, "")
		if w.Code != c.want {
			t.Errorf("verify from %q %v: %d %s, want %d", c.origin, c.h, w.Code, w.Body, c.want)
		}
		if c.want == http.StatusForbidden && (strings.Contains(w.Body.String(), "valid") || w.Header().Get("Access-Control-Allow-Origin") != "") {
			t.Errorf("verify from %q answered %s %v", c.origin, w.Body, w.Header())
		}
	}
}

// TestTheGuidesAppPathLeadsIntoTheServiceWorkersScope: the guide tells
// users to approve "from /app", but the approver's service worker may
// only control the gate path's app, and a page outside its scope never
// gets a ready worker, so notifications could not be turned on there.
func TestTheGuidesAppPathLeadsIntoTheServiceWorkersScope(t *testing.T) {
	s := newTestServer(t)
	w := serve(s, http.MethodGet, "/app", "", nil, "")
	loc := w.Header().Get("Location")
	if w.Code != http.StatusFound || loc == "" {
		t.Fatalf("GET /app: %d to %q, want a redirect to the approver", w.Code, loc)
	}
	sw := serve(s, http.MethodGet, "/.authgate/assets/sw.js", "", nil, "")
	scope := sw.Header().Get("Service-Worker-Allowed")
	if sw.Code != http.StatusOK || scope == "" {
		t.Fatalf("the service worker: %d, Service-Worker-Allowed %q", sw.Code, scope)
	}
	if loc != scope {
		t.Fatalf("/app leads to %q, outside the service worker's scope %q", loc, scope)
	}
	if page := serve(s, http.MethodGet, loc, "", nil, ""); page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "app.js") {
		t.Fatalf("GET %s: %d", loc, page.Code)
	}
}

func TestStandaloneServesTheGateAndTheWidget(t *testing.T) {
	s := newTestServer(t)
	for path, want := range map[string]int{
		"/.authgate/widget.js": http.StatusOK, "/.authgate/login": http.StatusOK, "/app": http.StatusFound,
		"/": http.StatusFound, "/nothing": http.StatusNotFound,
	} {
		if w := serve(s, http.MethodGet, path, "", nil, ""); w.Code != want {
			t.Errorf("GET %s: %d, want %d", path, w.Code, want)
		}
	}
	w := serve(s, http.MethodGet, "/.authgate/widget.js", "", nil, "")
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") || w.Header().Get("Cross-Origin-Resource-Policy") != "cross-origin" {
		t.Errorf("widget headers %v", w.Header())
	}
	if w := serve(s, http.MethodPost, "/api/webhooks", "", nil, `{"app_id":"my-app","url":"https://x.example"}`); w.Code != http.StatusUnauthorized ||
		!strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("registration without a key: %d %v", w.Code, w.Header())
	}
}
