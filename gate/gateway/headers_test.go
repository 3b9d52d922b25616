package gateway

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestStripIdentityHeadersRemovesEverySpelling(t *testing.T) {
	h := http.Header{}
	for _, name := range []string{
		"Remote-User", "remote-user", "REMOTE-USER", "Remote_User", "remote.user",
		"Remote-Email", "REMOTE_EMAIL", "Remote-Groups", "remote_groups", "Remote-Name",
		"X-Authgate-Session", "x_authgate_session", "X-AUTHGATE-ANYTHING", "X.Authgate.Session",
		"X-Forwarded-User", "x_forwarded_email", "X-Forwarded-Groups", "X-Forwarded-Preferred-Username",
		"X-Auth-Request-User", "x_auth_request_email", "X-Auth-Request-Access-Token",
	} {
		h[name] = []string{"spoofed"}
	}
	keep := []string{"Accept", "Remote-Addr", "Remote-Userx", "X-Authgatex", "Cookie", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Userx"}
	for _, name := range keep {
		h[name] = []string{"ok"}
	}
	stripIdentityHeaders(h, false)
	if len(h) != len(keep) {
		t.Fatalf("left %v, want only %v", h, keep)
	}
	for _, name := range keep {
		if h[name] == nil {
			t.Errorf("%s was removed", name)
		}
	}
}

func TestStripIdentityHeadersTakesTheirNamesOutOfConnection(t *testing.T) {
	tests := []struct {
		lines, want []string
	}{
		{[]string{"keep-alive"}, []string{"keep-alive"}},
		{[]string{"keep-alive, Remote-User,X-Other"}, []string{"keep-alive, X-Other"}},
		{[]string{"Remote-User", "close"}, []string{"close"}},
		{[]string{" remote_groups , X-Authgate-Session,", "Remote-Email"}, nil},
		{[]string{"Remote-Userx, X-Authgatex"}, []string{"Remote-Userx, X-Authgatex"}},
	}
	for _, tt := range tests {
		h := http.Header{"Connection": append([]string(nil), tt.lines...)}
		stripIdentityHeaders(h, true)
		if got := h["Connection"]; !slices.Equal(got, tt.want) {
			t.Errorf("Connection %q: left %q, want %q", tt.lines, got, tt.want)
		}
	}
	h := http.Header{"Connection": {"keep-alive, X-Other"}}
	if n := testing.AllocsPerRun(100, func() { stripIdentityHeaders(h, true) }); n != 0 {
		t.Errorf("a Connection header without identity names costs %.0f allocations", n)
	}
}

func TestCookieValue(t *testing.T) {
	tests := []struct {
		lines []string
		want  string
	}{
		{[]string{"authgate_session=abc"}, "abc"},
		{[]string{"a=1; authgate_session=abc; b=2"}, "abc"},
		{[]string{"a=1", "authgate_session=\"abc\""}, "abc"},
		{[]string{"xauthgate_session=abc"}, ""},
		{[]string{"authgate_sessionx=abc"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		h := http.Header{"Cookie": tt.lines}
		if got := cookieValue(h, "authgate_session"); got != tt.want {
			t.Errorf("cookieValue(%q) = %q, want %q", tt.lines, got, tt.want)
		}
	}
}

func TestRemoveCookieKeepsTheAppsCookies(t *testing.T) {
	tests := []struct {
		lines []string
		want  []string
	}{
		{[]string{"authgate_session=abc"}, nil},
		{[]string{"a=1; authgate_session=abc; b=2"}, []string{"a=1; b=2"}},
		{[]string{"theme=dark", "authgate_session=abc"}, []string{"theme=dark"}},
		{[]string{"my_authgate_session_pref=1"}, []string{"my_authgate_session_pref=1"}},
	}
	for _, tt := range tests {
		h := http.Header{"Cookie": append([]string(nil), tt.lines...)}
		removeCookie(h, "authgate_session")
		got := h["Cookie"]
		if len(got) != len(tt.want) {
			t.Errorf("removeCookie(%q) = %q, want %q", tt.lines, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("removeCookie(%q) = %q, want %q", tt.lines, got, tt.want)
			}
		}
	}
}

// editingNext edits the identity header values it is handed in place,
// as Caddy's request_header replacements do, and records what it saw.
type editingNext struct{ user, email []string }

func (n *editingNext) ServeHTTP(_ http.ResponseWriter, r *http.Request) error {
	n.user, n.email = append(n.user, r.Header.Get(HeaderUser)), append(n.email, r.Header.Get(HeaderEmail))
	for _, name := range []string{HeaderUser, HeaderGroups, HeaderSession, HeaderKey} {
		if vs := r.Header[name]; len(vs) > 0 {
			vs[0] = "edited"
		}
	}
	return nil
}

func TestIdentityHeaderValuesAreEachRequestsOwn(t *testing.T) {
	_, rt, tok := newTestGateway(t)
	f := newKeyFixture(t, APIKeysOn)
	for name, serve := range map[string]func(*editingNext) error{
		"cookie": func(n *editingNext) error { return rt.ServeHTTP(httptest.NewRecorder(), protectedRequest(tok), n) },
		"key":    func(n *editingNext) error { return f.rt.ServeHTTP(httptest.NewRecorder(), keyRequest(f.key.Key), n) },
	} {
		n := &editingNext{}
		for range 2 {
			if err := serve(n); err != nil {
				t.Fatal(err)
			}
		}
		for i := range n.user {
			if n.user[i] != "alice@example.com" || n.email[i] != "alice@example.com" {
				t.Errorf("%s, request %d: Remote-User %q, Remote-Email %q; an edit of one header changed another, or the next request's",
					name, i+1, n.user[i], n.email[i])
			}
		}
	}
}

// TestRemoveGateCookiesDropsEveryNameOfTheGateways: the upstream gets
// none of the gateway's cookies, whichever scheme set them, and keeps
// the app's own; a request without them costs no allocation.
func TestRemoveGateCookiesDropsEveryNameOfTheGateways(t *testing.T) {
	h := http.Header{"Cookie": {
		"app=1; __Host-authgate=tok; authgate_session=old-http-token",
		"authgate_bind=b; __Host-authgate_bind=hb",
		"theme=dark; authgate_sessionx=app-owned",
	}}
	removeGateCookies(h)
	want := []string{"app=1", "theme=dark; authgate_sessionx=app-owned"}
	if got := h["Cookie"]; !slices.Equal(got, want) {
		t.Fatalf("Cookie %q, want %q", got, want)
	}
	plain := http.Header{"Cookie": {"app=1; theme=dark"}}
	if n := testing.AllocsPerRun(100, func() { removeGateCookies(plain) }); n != 0 {
		t.Errorf("a request without the gateway's cookies costs %.0f allocations", n)
	}
}
