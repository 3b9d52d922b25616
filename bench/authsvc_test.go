package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/token"
)

const testSecret = "bench-test-signing-secret-0123456789abcdef"

// mint signs a token for alice with secret, issuer and audience.
func mint(t *testing.T, secret, iss, aud string, iat time.Time, life time.Duration) string {
	t.Helper()
	k, err := token.ParseKey("", secret)
	if err != nil {
		t.Fatal(err)
	}
	m, err := token.NewManager(token.Config{Issuer: iss, Audience: aud, Keys: []token.Key{k}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.Mint(token.Identity{Email: benchEmail, SessionID: "s1", IssuedAt: iat, ExpiresAt: iat.Add(life)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// ask sends the auth service a forward_auth subrequest with the given
// Cookie header and returns the status and Remote-Email.
func ask(s *authService, cookie string) (int, string) {
	r := httptest.NewRequest(http.MethodGet, "http://auth/verify", nil)
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w.Code, w.Header().Get("Remote-Email")
}

func TestAuthServiceAnswersForwardAuth(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	valid := mint(t, testSecret, "authgate", "authgate", now, time.Hour)
	parts := strings.Split(valid, ".")
	tests := []struct {
		name       string
		cookie     string
		wantStatus int
	}{
		{name: "valid session cookie", cookie: "theme=dark; " + sessionCookie + "=" + valid, wantStatus: http.StatusOK},
		{name: "no cookie", cookie: "", wantStatus: http.StatusUnauthorized},
		{name: "other cookies only", cookie: "theme=dark", wantStatus: http.StatusUnauthorized},
		{name: "signed with another key", cookie: sessionCookie + "=" + mint(t, strings.Repeat("x", 40), "authgate", "authgate", now, time.Hour), wantStatus: http.StatusUnauthorized},
		{name: "other audience", cookie: sessionCookie + "=" + mint(t, testSecret, "authgate", "elsewhere", now, time.Hour), wantStatus: http.StatusUnauthorized},
		{name: "other issuer", cookie: sessionCookie + "=" + mint(t, testSecret, "someone", "authgate", now, time.Hour), wantStatus: http.StatusUnauthorized},
		{name: "expired", cookie: sessionCookie + "=" + mint(t, testSecret, "authgate", "authgate", now.Add(-2*time.Hour), time.Hour), wantStatus: http.StatusUnauthorized},
		{name: "payload tampered", cookie: sessionCookie + "=" + parts[0] + "." + parts[1] + "x." + parts[2], wantStatus: http.StatusUnauthorized},
		{name: "alg none", cookie: sessionCookie + "=eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".", wantStatus: http.StatusUnauthorized},
		{name: "too long", cookie: sessionCookie + "=" + valid + strings.Repeat("a", token.MaxTokenLen), wantStatus: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newAuthService(testSecret, func() time.Time { return now })
			if err != nil {
				t.Fatal(err)
			}
			status, email := ask(s, tt.cookie)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d", status, tt.wantStatus)
			}
			if wantEmail := map[bool]string{true: benchEmail}[status == http.StatusOK]; email != wantEmail {
				t.Fatalf("Remote-Email %q, want %q", email, wantEmail)
			}
		})
	}
}

func TestAuthServiceCacheHonoursExpiry(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	clock := now
	s, err := newAuthService(testSecret, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	cookie := sessionCookie + "=" + mint(t, testSecret, "authgate", "authgate", now, time.Minute)
	for i := 0; i < 2; i++ { // the second answer comes from the cache
		if status, _ := ask(s, cookie); status != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200", i+1, status)
		}
	}
	clock = now.Add(time.Minute + token.DefaultLeeway + time.Second)
	if status, _ := ask(s, cookie); status != http.StatusUnauthorized {
		t.Fatalf("after expiry: status %d, want 401", status)
	}
}

func TestAuthServiceRefusesAShortSecret(t *testing.T) {
	if _, err := newAuthService("short", time.Now); err == nil {
		t.Fatal("a 5-byte secret was accepted")
	}
}

// FuzzAuthServiceCookie sends arbitrary Cookie headers: nothing but a
// token signed with the key may get a 200.
func FuzzAuthServiceCookie(f *testing.F) {
	f.Add(sessionCookie + "=eyJhbGciOiJIUzI1NiJ9.e30.sig")
	f.Add(sessionCookie + "=a.b.c; " + sessionCookie + "=d.e.f")
	f.Add("=;;=" + sessionCookie)
	f.Add("")
	s, err := newAuthService(testSecret, time.Now)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, cookie string) {
		r := httptest.NewRequest(http.MethodGet, "http://auth/verify", nil)
		r.Header["Cookie"] = []string{cookie}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			t.Fatalf("cookie %q was accepted", cookie)
		}
	})
}
