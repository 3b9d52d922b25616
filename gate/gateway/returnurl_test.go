package gateway

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeReturnURL(t *testing.T) {
	sso := func(h string) bool { return h == "other.example.com" }
	https := hostOrigin("https", "app.example.com:8443")
	http := hostOrigin("http", "app.localhost:8080")
	tests := []struct {
		site      origin
		raw, want string
		ok        bool
	}{
		{https, "", "/", true},
		{https, "/", "/", true},
		{https, "/private?x=1", "/private?x=1", true},
		{https, "/a%2F%2Fb", "/a%2F%2Fb", true},
		{https, "//evil.example/", "", false},
		{https, "/\\evil.example", "", false},
		// An encoded slash is decoded when the path is written out again
		// for a character Go encodes: the result must not start with //.
		{https, "/%2Fevil.example/}", "", false},
		{https, "/%2F%2Fevil.example^", "", false},
		{https, "/%2f/evil.example/{", "", false},
		{https, "/a%2F/b/{", "/a//b/%7B", true},
		{https, "\\\\evil.example", "", false},
		{https, "https://evil.example/", "", false},
		{https, "https://app.example.com.evil.example:8443/", "", false},
		{https, "https://app.example.com:8443/x", "https://app.example.com:8443/x", true},
		{https, "HTTPS://APP.EXAMPLE.COM:8443/x", "https://APP.EXAMPLE.COM:8443/x", true},
		{https, "https://other.example.com:8443/y", "https://other.example.com:8443/y", true},
		// The scheme and port must be the site's.
		{https, "https://app.example.com/x", "", false},       // port 443, not 8443
		{https, "https://app.example.com:1/x", "", false},     // another port
		{https, "http://app.example.com:8443/x", "", false},   // a downgrade
		{https, "http://other.example.com:8443/y", "", false}, // a downgrade under the cookie domain
		{https, "https://other.example.com:1/y", "", false},
		{https, "https://app.example.com:/x", "", false},
		{https, "https://app.example.com.:8443/x", "", false},
		{http, "http://app.localhost:8080/x", "http://app.localhost:8080/x", true},
		{http, "HTTPS://APP.LOCALHOST:8443/x", "", false},
		{http, "http://app.localhost:1/x", "", false},
		{http, "http://app.localhost/x", "", false},
		{http, "ftp://app.localhost:8080/x", "", false},
		{hostOrigin("http", "app.localhost"), "http://app.localhost/x", "http://app.localhost/x", true},
		{hostOrigin("http", "app.localhost"), "http://app.localhost:80/x", "http://app.localhost:80/x", true},
		{hostOrigin("https", "app.example.com"), "https://app.example.com:443/x", "https://app.example.com:443/x", true},
		{https, "javascript:alert(1)", "", false},
		{https, "data:text/html,x", "", false},
		{https, "https://user@app.example.com:8443/", "", false},
		{https, "/x\r\nSet-Cookie: a=b", "", false},
		{https, "/x\ty", "", false},
		{https, "relative/path", "", false},
		{https, "/" + string(make([]byte, 3000)), "", false},
	}
	for _, tt := range tests {
		got, ok := safeReturnURL(tt.raw, tt.site, sso)
		if ok != tt.ok || got != tt.want {
			t.Errorf("safeReturnURL(%q) on %v = %q, %v; want %q, %v", tt.raw, tt.site, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzSafeReturnURL checks that whatever passes, resolved the way a
// browser resolves a Location against the site's URL, stays on the site's
// scheme and port, and on its host or a cookie-domain host.
func FuzzSafeReturnURL(f *testing.F) {
	for _, s := range []string{
		"/", "/x?y=1", "//evil", "https://app.example.com/", "/\\x", "http://[::1]/",
		"HTTPS://APP.EXAMPLE.COM:8443/x", "http://app.example.com:1/x", "http://app.example.com:443/x",
		"https://a.example.com:1/", "https://a.example.com/", "https://app.example.com:443@evil/",
		"https:/evil", "https:evil", "/%2F%2Fevil", "/..//evil", "https://app.example.com%2eevil/",
		"https://[::ffff:127.0.0.1]/", "https://app.example.com:0443/", "https://app.example.com.:443/",
		"/%2Fevil/}", "/%2F%2Fevil^",
	} {
		f.Add(s)
	}
	site := hostOrigin("https", "app.example.com")
	underDomain := func(h string) bool { return strings.HasSuffix(h, ".example.com") }
	base, _ := url.Parse("https://app.example.com/page")
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := safeReturnURL(raw, site, underDomain)
		if !ok {
			return
		}
		ref, err := url.Parse(got)
		if err != nil {
			t.Fatalf("safeReturnURL(%q) = %q, which does not parse: %v", raw, got, err)
		}
		if strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n") {
			t.Fatalf("safeReturnURL(%q) = %q: a browser may read it as another host", raw, got)
		}
		u := base.ResolveReference(ref)
		port := u.Port()
		if port == "" {
			port = defaultPort(u.Scheme)
		}
		host := strings.ToLower(u.Hostname())
		if u.Scheme != "https" || port != "443" || u.User != nil {
			t.Fatalf("safeReturnURL(%q) = %q: resolves to %s, another scheme or port", raw, got, u)
		}
		if host != "app.example.com" && !underDomain(host) {
			t.Fatalf("safeReturnURL(%q) = %q: resolves to host %q", raw, got, host)
		}
	})
}
