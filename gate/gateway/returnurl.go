package gateway

import (
	"net/url"
	"strings"
)

// maxReturnURL caps the stored return URL.
const maxReturnURL = 2048

// safeReturnURL checks a requested return URL and returns the form to
// keep with the login: a path on this site ("/x?y"), or an absolute URL
// whose host is this request's host or one of allowedHosts (subdomains of
// the cookie domain for single sign-on). Anything else, including
// protocol-relative ("//evil") and backslash tricks, yields ok=false.
func safeReturnURL(raw, requestHost string, allowedHosts func(string) bool) (string, bool) {
	if raw == "" {
		return "/", true
	}
	if len(raw) > maxReturnURL {
		return "", false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < 0x20 || raw[i] == 0x7f || raw[i] == '\\' {
			return "", false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" {
		return "", false
	}
	if u.Scheme == "" && u.Host == "" {
		if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
			return "", false
		}
		return u.RequestURI() + fragment(u), true
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == hostOnly(requestHost) || (allowedHosts != nil && allowedHosts(host)) {
		return u.String(), true
	}
	return "", false
}

func fragment(u *url.URL) string {
	if u.Fragment == "" {
		return ""
	}
	return "#" + u.EscapedFragment()
}

// hostOnly strips a port from a Host header value and lower-cases it.
func hostOnly(hostport string) string {
	if u, err := url.Parse("//" + hostport); err == nil {
		return strings.ToLower(u.Hostname())
	}
	return strings.ToLower(hostport)
}
