package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/gate/token"
	"github.com/authgate/authgate/internal/testenv"
)

// at returns a browser that shares b's cookies but talks to another
// instance.
func (b *browser) at(base string) *browser {
	return &browser{t: b.t, base: base, http: b.http}
}

// withCookie returns a fresh browser that sends only the given session
// cookie value.
func withCookie(t *testing.T, base, value string) *browser {
	b := newBrowser(t, base)
	u, _ := url.Parse(base)
	b.http.Jar.SetCookies(u, []*http.Cookie{{Name: "authgate_session", Value: value, Path: "/"}})
	return b
}

func TestBadTokensAreTreatedAsLoggedOut(t *testing.T) {
	up := newUpstream(t)
	g := startGate(t, storeLine(""), up, "")
	dev := g.enroll("erin@example.com")
	b := newBrowser(t, g.base)
	b.login(dev, "erin@example.com")
	real := b.sessionCookie()

	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(real, &claims); err != nil {
		t.Fatalf("reading the issued token: %v", err)
	}
	key, err := token.ParseKey("", testSigningKey)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(method jwt.SigningMethod, c jwt.MapClaims, secret any) string {
		tok := jwt.NewWithClaims(method, c)
		tok.Header["kid"] = key.ID
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatalf("signing test token: %v", err)
		}
		return s
	}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for name, val := range claims {
			c[name] = val
		}
		c[k] = v
		return c
	}
	past := time.Now().Add(-time.Hour).Unix()
	cases := map[string]string{
		"genuine copy re-signed with the right key": sign(jwt.SigningMethodHS256, claims, []byte(testSigningKey)),
		"forged signature":                          sign(jwt.SigningMethodHS256, claims, []byte("another-secret-another-secret-0123456789")),
		"expired":                                   sign(jwt.SigningMethodHS256, with("exp", past), []byte(testSigningKey)),
		"alg none":                                  sign(jwt.SigningMethodNone, claims, jwt.UnsafeAllowNoneSignatureType),
		"wrong audience":                            sign(jwt.SigningMethodHS256, with("aud", "other-app"), []byte(testSigningKey)),
		"wrong issuer":                              sign(jwt.SigningMethodHS256, with("iss", "evil"), []byte(testSigningKey)),
		"garbage":                                   "not.a.token",
		"a group carrying the header separator":     sign(jwt.SigningMethodHS256, with("groups", []string{"devs,admin"}), []byte(testSigningKey)),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, hitsBefore := up.lastHeaders()
			status, _, _ := withCookie(t, g.base, tok).do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil)
			_, hitsAfter := up.lastHeaders()
			if name == "genuine copy re-signed with the right key" {
				// The control: the test's forging machinery makes tokens
				// the gateway accepts, so the refusals below mean something.
				if status != http.StatusOK {
					t.Fatalf("control token refused: %d", status)
				}
				return
			}
			if status != http.StatusUnauthorized || hitsAfter != hitsBefore {
				t.Fatalf("status %d, upstream hits %d→%d; want 401 and no upstream call", status, hitsBefore, hitsAfter)
			}
		})
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestLogoutOnOneInstanceReachesAnotherWithinASecond(t *testing.T) {
	r := testenv.StartRedis(t)
	up := newUpstream(t)
	a := startGate(t, storeLine(r.URL(0)), up, "")
	other := startGate(t, storeLine(r.URL(0)), up, "")
	dev := a.enroll("frank@example.com")
	onA := newBrowser(t, a.base)
	onA.login(dev, "frank@example.com")
	onB := onA.at(other.base)

	if status, _, _ := onB.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil); status != http.StatusOK {
		t.Fatalf("cookie from instance A refused by instance B: %d", status)
	}
	cookie := onA.sessionCookie()
	_, _, home := onA.do(http.MethodGet, "/.authgate/", nil, nil)
	m := csrfField.FindSubmatch(home)
	if m == nil {
		t.Fatalf("no CSRF token on the signed-in page: %s", home)
	}
	form := url.Values{"csrf": {string(m[1])}}.Encode()
	formHeader := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if status, _, _ := onA.do(http.MethodPost, "/.authgate/logout", formHeader, []byte("csrf=wrong")); status != http.StatusForbidden {
		t.Fatalf("logout with a wrong CSRF token: %d, want 403", status)
	}
	start := time.Now()
	if status, _, body := onA.do(http.MethodPost, "/.authgate/logout", formHeader, []byte(form)); status != http.StatusSeeOther {
		t.Fatalf("logout: %d %s", status, body)
	}
	old := withCookie(t, other.base, cookie)
	for {
		status, _, _ := old.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil)
		if status == http.StatusUnauthorized {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("instance B still accepts the logged-out cookie after %v (status %d)", time.Since(start), status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("revocation reached the second instance in %v", time.Since(start))
}
