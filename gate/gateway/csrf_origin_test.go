package gateway

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authgate/authgate/gate/store/memory"
	"github.com/authgate/authgate/gate/token"
)

// TestSameOriginComparesSchemeHostAndPort: an Origin is the site's own
// only with the scheme the browser used, the host and the port; the
// site's plain-HTTP twin, another port, "null" and non-web schemes are
// other sites, and a request without Origin (a script) passes. Over plain
// HTTP an https page of the same host passes too: a proxy that ends TLS
// may be in front without the gate being told.
func TestSameOriginComparesSchemeHostAndPort(t *testing.T) {
	g, _, _ := newTestGateway(t)
	cases := []struct {
		https  bool
		host   string
		origin string
		want   bool
	}{
		{false, "app.example:8080", "http://app.example:8080", true},
		{false, "app.example:8080", "http://APP.example:8080", true},
		{false, "app.example:8080", "https://other.example:8080", false},
		// Behind a proxy that ends TLS and is not among the trusted ones.
		{false, "app.example", "https://app.example", true},
		{false, "app.example:8080", "https://app.example", true},
		{false, "app.example:8080", "http://app.example:8081", false},
		{false, "app.example", "http://app.example:80", true},
		{true, "app.example", "https://app.example", true},
		{true, "app.example", "https://app.example:443", true},
		{true, "app.example", "http://app.example", false},
		{true, "app.example", "null", false},
		{true, "app.example", "file://app.example", false},
		{true, "app.example", "", true},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodPost, "/.authgate/auth/start", nil)
		r.Host = c.host
		if c.https {
			r.TLS = &tls.ConnectionState{}
		}
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if got := g.sameOrigin(r); got != c.want {
			t.Errorf("https=%v Host %s Origin %q: same origin %v, want %v", c.https, c.host, c.origin, got, c.want)
		}
	}
}

// TestNewRefusesAGatePathItCouldNotServe: a gate path that is the root or
// not clean is an error from New, not a panic when its routes are made.
func TestNewRefusesAGatePathItCouldNotServe(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{Store: st, Keys: []token.Key{key}}
	for _, p := range []string{"/", "//", "/a//b", "/./x", "/a/../b", "/x/.", "/a//", "auth", "/a b", "/{x}"} {
		if err := CheckPrefix(p); err == nil {
			t.Errorf("CheckPrefix(%q) accepted it", p)
		}
		if _, err := New(Config{Prefix: p}, deps); err == nil {
			t.Errorf("New with gate path %q: no error", p)
		}
	}
	for _, p := range []string{"/.authgate", "/_auth/", "/a/b-c.d~e_f"} {
		if err := CheckPrefix(p); err != nil {
			t.Errorf("CheckPrefix(%q): %v", p, err)
		}
		if _, err := New(Config{Prefix: p}, deps); err != nil {
			t.Errorf("New with gate path %q: %v", p, err)
		}
	}
}
