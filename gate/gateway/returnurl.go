package gateway

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// maxReturnURL caps the stored return URL.
const maxReturnURL = 2048

// origin is a site's scheme, host and port as a browser compares them:
// the scheme and host in lower case, the port always explicit.
type origin struct {
	scheme, host, port string
}

// requestOrigin is the origin the browser sent r to: https when it
// reached the site over HTTPS (see viaHTTPS), and the Host header's name
// and port.
func (g *Gateway) requestOrigin(r *http.Request) origin {
	scheme := "http"
	if g.viaHTTPS(r) {
		scheme = "https"
	}
	return hostOrigin(scheme, r.Host)
}

// hostOrigin builds an origin from a scheme and a Host value, filling in
// the scheme's default port.
func hostOrigin(scheme, hostport string) origin {
	scheme = strings.ToLower(scheme)
	host, port := hostOnly(hostport), ""
	if u, err := url.Parse("//" + hostport); err == nil {
		port = u.Port()
	}
	if port == "" {
		port = defaultPort(scheme)
	}
	return origin{scheme: scheme, host: host, port: port}
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// safeReturnURL checks a requested return URL and returns the form to
// keep with the login: a path on this site ("/x?y"), or an absolute URL
// whose scheme and port are the site's and whose host is the site's own
// or one that allowedHosts accepts (subdomains of the cookie domain, for
// single sign-on). Anything else yields ok=false: other schemes and
// ports, an https site's http URLs (a downgrade), protocol-relative
// ("//evil", also when spelt "/%2Fevil/}") and backslash tricks,
// control characters, user info.
func safeReturnURL(raw string, site origin, allowedHosts func(string) bool) (string, bool) {
	if raw == "" {
		return "/", true
	}
	if len(raw) > maxReturnURL {
		return "", false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] <= 0x20 || raw[i] >= 0x7f || raw[i] == '\\' {
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
		// The path is written out again from its decoded form when the
		// raw one holds a character Go would encode ("{", "^", "|"): an
		// encoded slash in it is then decoded, and "/%2Fevil/}" comes
		// out as "//evil/%7D", which a browser reads as another host.
		rel := u.RequestURI() + fragment(u)
		if strings.HasPrefix(rel, "//") {
			return "", false
		}
		return rel, true
	}
	if u.Scheme != site.scheme || u.Host == "" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return "", false
		}
		port = defaultPort(u.Scheme)
	}
	if port != site.port || strings.HasSuffix(host, ".") || net.ParseIP(host) != nil && host != site.host {
		return "", false
	}
	if host != site.host && (allowedHosts == nil || !allowedHosts(host)) {
		return "", false
	}
	return u.String(), true
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
