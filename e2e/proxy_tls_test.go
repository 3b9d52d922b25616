package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestBehindATrustedProxyThatEndsTLSTheLoginIsHTTPS runs the gate as a
// proxy that ends TLS would reach it: plain HTTP from a trusted address
// with X-Forwarded-Proto: https. The binding and session cookies are
// then __Host- and Secure, an http return URL is a downgrade, and an
// Origin of the site's plain-HTTP twin is another site. The same header
// from an address Caddy does not trust changes nothing.
func TestBehindATrustedProxyThatEndsTLSTheLoginIsHTTPS(t *testing.T) {
	up := newUpstream(t)
	g := startGateWith(t, "store memory", up, gateLines{global: "servers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}"})
	dev := g.enroll("proxied@example.com")
	site := "https" + strings.TrimPrefix(g.base, "http")

	b := proxiedBrowser(t, g.base, nil)
	if status, body := b.startWith("proxied@example.com", g.base+"/x"); status != http.StatusBadRequest {
		t.Errorf("http return URL behind an https proxy: %d %s, want 400", status, body)
	}
	twin := http.Header{"Content-Type": {"application/json"}, "Origin": {g.base}}
	if status, _, body := b.do(http.MethodPost, "/.authgate/auth/start", twin, []byte(`{"email":"proxied@example.com"}`)); status != http.StatusForbidden {
		t.Errorf("start with the plain-HTTP twin's Origin: %d %s, want 403", status, body)
	}

	body, _ := json.Marshal(map[string]string{"email": "proxied@example.com", "rd": site + "/private"})
	status, h, data := b.do(http.MethodPost, "/.authgate/auth/start",
		http.Header{"Content-Type": {"application/json"}, "Origin": {site}}, body)
	if status != http.StatusOK {
		t.Fatalf("start: %d %s", status, data)
	}
	if c := cookieNamed(h, "__Host-authgate_bind", "authgate_bind"); c == nil || c.Name != "__Host-authgate_bind" || !c.Secure || c.Path != "/" {
		t.Fatalf("binding cookie %+v, want __Host-authgate_bind, Secure, Path=/", c)
	}
	var s started
	_ = json.Unmarshal(data, &s)
	approve(t, dev, s)
	st, rd, h := b.check(s.SessionID)
	if st != "approved" || rd != site+"/private" {
		t.Fatalf("check: %q %q", st, rd)
	}
	if c := cookieNamed(h, "__Host-authgate", "authgate_session"); c == nil || c.Name != "__Host-authgate" || !c.Secure || !c.HttpOnly {
		t.Fatalf("session cookie %+v, want __Host-authgate, Secure, HttpOnly", c)
	}
	if status, _, _ := b.do(http.MethodGet, "/private", nil, nil); status != http.StatusOK {
		t.Fatalf("after login: %d", status)
	}

	// The same header from 127.0.0.2, which is no trusted proxy, and the
	// Origin a browser behind such a proxy sends: plain cookies, but the
	// login goes ahead.
	other := proxiedBrowser(t, g.base, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)})
	status, h, data = other.do(http.MethodPost, "/.authgate/auth/start",
		http.Header{"Content-Type": {"application/json"}, "Origin": {site}}, []byte(`{"email":"proxied@example.com"}`))
	if status != http.StatusOK {
		t.Fatalf("start from an untrusted address: %d %s", status, data)
	}
	if c := cookieNamed(h, "__Host-authgate_bind", "authgate_bind"); c == nil || c.Name != "authgate_bind" || c.Secure {
		t.Fatalf("binding cookie for an untrusted X-Forwarded-Proto %+v, want authgate_bind without Secure", c)
	}
}

// proxiedBrowser is a browser whose every request says X-Forwarded-Proto:
// https, as a proxy that ends TLS adds, sent from local (nil: the
// system's choice). Its jar keeps and sends Secure cookies over the
// plain connection, as the browser in front of that proxy would.
func proxiedBrowser(t *testing.T, base string, local net.Addr) *browser {
	b := newBrowser(t, base)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}).DialContext
	b.http.Transport = forwardedProto{tr}
	jar, _ := cookiejar.New(nil)
	b.http.Jar = httpsJar{jar}
	return b
}

// forwardedProto adds X-Forwarded-Proto: https to every request.
type forwardedProto struct{ next http.RoundTripper }

func (f forwardedProto) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-Proto", "https")
	return f.next.RoundTrip(r)
}

// httpsJar files every URL under https, so Secure cookies go back.
type httpsJar struct{ *cookiejar.Jar }

func (j httpsJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.Jar.SetCookies(asHTTPS(u), cookies)
}

func (j httpsJar) Cookies(u *url.URL) []*http.Cookie { return j.Jar.Cookies(asHTTPS(u)) }

func asHTTPS(u *url.URL) *url.URL {
	c := *u
	c.Scheme = "https"
	return &c
}

// cookieNamed returns the first cookie set in h with one of names.
func cookieNamed(h http.Header, names ...string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		for _, n := range names {
			if c.Name == n {
				return c
			}
		}
	}
	return nil
}
