package gateway

import (
	"net/http/httptest"
	"testing"
)

// TestTheCookieDomainIsSetOnlyWhereTheBrowserWouldKeepIt: hosts under
// the cookie domain share its cookie; an IP address or another host gets
// a cookie of its own host, since a browser refuses a Domain it is not
// under and the login would never stick.
func TestTheCookieDomainIsSetOnlyWhereTheBrowserWouldKeepIt(t *testing.T) {
	g := &Gateway{cfg: Config{CookieDomain: "example.test"}}
	for host, want := range map[string]string{
		"example.test":        "example.test",
		"a.example.test":      "example.test",
		"A.Example.Test:8443": "example.test",
		"127.0.0.1:30083":     "",
		"[::1]:8080":          "",
		"[::1]":               "",
		"badexample.test":     "",
		"example.test.evil":   "",
		"":                    "",
	} {
		r := httptest.NewRequest("GET", "http://placeholder/", nil)
		r.Host = host
		if got := g.cookieDomain(r); got != want {
			t.Errorf("cookieDomain(%q) = %q, want %q", host, got, want)
		}
	}
	if got := (&Gateway{}).cookieDomain(httptest.NewRequest("GET", "http://a.example.test/", nil)); got != "" {
		t.Errorf("without a cookie domain: %q", got)
	}
}
