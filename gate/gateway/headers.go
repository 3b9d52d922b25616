package gateway

import (
	"io"
	"net/http"
	"strings"
)

// Identity headers set for the upstream on an authenticated request.
const (
	HeaderUser    = "Remote-User"
	HeaderEmail   = "Remote-Email"
	HeaderGroups  = "Remote-Groups"
	HeaderSession = "X-Authgate-Session"
	// HeaderKey names the API key a request came with (instead of
	// HeaderSession).
	HeaderKey = "X-Authgate-Key"
)

// identityHeaderNames are the lower-case, dash-separated forms of every
// header an upstream may trust; any client-sent spelling of them is
// removed. Besides the gateway's own, they are the identity headers of
// other auth proxies (oauth2-proxy's X-Forwarded-* and, by prefix,
// X-Auth-Request-*): an app moved behind this gateway may still read
// them, and nothing sets them now but the client.
var identityHeaderNames = [...]string{
	"remote-user", "remote-email", "remote-groups", "remote-name",
	"x-forwarded-user", "x-forwarded-email", "x-forwarded-groups", "x-forwarded-preferred-username",
}

// identityHeaderPrefixes start the names of whole families of identity
// headers.
var identityHeaderPrefixes = [...]string{"x-authgate-", "x-auth-request-"}

// stripIdentityHeaders deletes every client-sent spelling of the identity
// headers: any case, and "_" or "." in place of "-", and every header
// whose name starts with x-authgate- or x-auth-request-. Go and Caddy do not fold those
// spellings together, and upstream frameworks (CGI, PHP, Rails) do. The
// four canonical names the gateway sets are kept when keepSet is true,
// for a caller that overwrites them at once. Their names are also taken
// out of the Connection header, which would have a proxy drop them. It
// allocates nothing unless Connection names one.
func stripIdentityHeaders(h http.Header, keepSet bool) {
	for name := range h {
		if isIdentityHeader(name) && !(keepSet && isSetByGateway(name)) {
			delete(h, name)
		}
	}
	if lines, ok := h["Connection"]; ok {
		keepIdentityEndToEnd(h, lines)
	}
}

// keepIdentityEndToEnd removes the names of identity headers from the
// request's Connection header. A proxy drops every header that
// Connection names (they are hop-by-hop), so "Connection: Remote-User"
// from a client would have the reverse proxy after the gate drop the
// Remote-User the gateway set: the upstream would get a signed-in
// request without the identity, or without the groups, the gateway
// vouched for. It allocates only when a line names one.
func keepIdentityEndToEnd(h http.Header, lines []string) {
	kept := lines[:0]
	for _, line := range lines {
		if namesIdentityHeader(line) {
			line = withoutIdentityTokens(line)
		}
		if line != "" {
			kept = append(kept, line)
		}
	}
	if len(kept) == 0 {
		delete(h, "Connection")
		return
	}
	h["Connection"] = kept
}

// namesIdentityHeader reports whether a Connection header line lists an
// identity header.
func namesIdentityHeader(line string) bool {
	for rest := line; rest != ""; {
		var token string
		token, rest, _ = strings.Cut(rest, ",")
		if isIdentityHeader(strings.TrimSpace(token)) {
			return true
		}
	}
	return false
}

// withoutIdentityTokens returns a Connection header line without its
// identity header names, the others joined by ", ".
func withoutIdentityTokens(line string) string {
	var b strings.Builder
	for rest := line; rest != ""; {
		var token string
		token, rest, _ = strings.Cut(rest, ",")
		if token = strings.TrimSpace(token); token == "" || isIdentityHeader(token) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(token)
	}
	return b.String()
}

// stripIdentityTrailers keeps identity headers out of the request's
// trailers. Caddy's reverse proxy forwards the trailers a client declared
// after a chunked body, and some upstreams merge trailers into the
// request headers (Apache httpd with MergeTrailers, as before 2.4.11 it
// always did), so a "Remote-User" trailer would reach them as a header
// the gateway never set, on a public path without any login. The server
// fills the trailers in only when the body has been read, so the names
// are removed then, before the proxy copies them.
func stripIdentityTrailers(r *http.Request) {
	if r.Trailer == nil {
		return
	}
	stripIdentityHeaders(r.Trailer, false)
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &trailerStripper{ReadCloser: r.Body, trailer: r.Trailer}
	}
}

// trailerStripper removes identity headers from trailer once its body
// has been read to the end, which is when the server fills trailer in.
type trailerStripper struct {
	io.ReadCloser
	trailer http.Header
}

func (b *trailerStripper) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		stripIdentityHeaders(b.trailer, false)
	}
	return n, err
}

// setIdentityHeaders sets the identity headers the gateway vouches for:
// Remote-User and Remote-Email (email), Remote-Groups (groups) and
// idHeader (the session's or the API key's id). Each header gets a value
// slice of its own, the four from one allocation: handlers after the gate
// edit header values in place (Caddy's request_header replacements), so
// a slice shared with another header or with the token cache would carry
// one request's edit into the other header and into the user's next
// requests.
func setIdentityHeaders(h http.Header, email, groups, idHeader, id string) {
	v := make([]string, 4)
	v[0], v[1], v[2], v[3] = email, email, groups, id
	h[HeaderUser], h[HeaderEmail], h[HeaderGroups], h[idHeader] = v[0:1:1], v[1:2:2], v[2:3:3], v[3:4:4]
}

func isSetByGateway(name string) bool {
	return name == HeaderUser || name == HeaderEmail || name == HeaderGroups || name == HeaderSession
}

func isIdentityHeader(name string) bool {
	if name == "" {
		return false
	}
	// Every name checked starts with r or x: most headers leave here.
	switch name[0] {
	case 'r', 'R', 'x', 'X':
	default:
		return false
	}
	for _, prefix := range identityHeaderPrefixes {
		if foldedHasPrefix(name, prefix) {
			return true
		}
	}
	for _, want := range identityHeaderNames {
		if foldedEqual(name, want) {
			return true
		}
	}
	return false
}

// fold maps a header name byte to its compared form: lower case, with
// "_" and "." read as "-".
func fold(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	case c == '_' || c == '.':
		return '-'
	}
	return c
}

func foldedEqual(name, want string) bool {
	return len(name) == len(want) && foldedHasPrefix(name, want)
}

func foldedHasPrefix(name, prefix string) bool {
	if len(name) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if fold(name[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// cookieValue returns the value of the named cookie from the request's
// Cookie headers without allocating, or "".
func cookieValue(h http.Header, name string) string {
	for _, line := range h["Cookie"] {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, "=")
			if ok && k == name {
				return strings.Trim(v, `"`)
			}
		}
	}
	return ""
}

// removeGateCookies drops every cookie of the gateway's (session and
// binding, in both their HTTPS and plain-HTTP names) from the request's
// Cookie headers, not only the names this request's scheme uses: a
// plain-HTTP cookie left over from an http:// twin of an HTTPS site still
// carries a token the upstream must never see. A request without them
// costs no allocation.
func removeGateCookies(h http.Header) {
	for _, line := range h["Cookie"] {
		if strings.Contains(line, "authgate") {
			for _, name := range [...]string{cookieHostSession, cookieSession, cookieHostBinding, cookieBinding} {
				removeCookie(h, name)
			}
			return
		}
	}
}

// removeCookie drops the named cookie from the request's Cookie headers so
// the upstream never sees the gateway's token. A line holding only that
// cookie is dropped without allocating; otherwise the line is rebuilt
// once, without it.
func removeCookie(h http.Header, name string) {
	lines := h["Cookie"]
	kept := lines[:0]
	for _, line := range lines {
		if line = withoutCookie(line, name); line != "" {
			kept = append(kept, line)
		}
	}
	if len(kept) == 0 {
		delete(h, "Cookie")
		return
	}
	h["Cookie"] = kept
}

// withoutCookie returns line without the pairs named name, and with the
// remaining pairs joined by "; ". It allocates once, the exact size, and
// only when line holds the cookie.
func withoutCookie(line, name string) string {
	if !strings.Contains(line, name) {
		return line
	}
	size, found := 0, false
	forEachPair(line, func(part string) {
		if cookieName(part) == name {
			found = true
			return
		}
		if size > 0 {
			size += 2
		}
		size += len(part)
	})
	if !found {
		return line
	}
	var b strings.Builder
	b.Grow(size)
	forEachPair(line, func(part string) {
		if cookieName(part) == name {
			return
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(part)
	})
	return b.String()
}

// forEachPair calls fn with each non-empty, trimmed name=value pair of a
// Cookie header line.
func forEachPair(line string, fn func(string)) {
	for rest := line; len(rest) > 0; {
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		if part = strings.TrimSpace(part); part != "" {
			fn(part)
		}
	}
}

func cookieName(pair string) string {
	k, _, _ := strings.Cut(pair, "=")
	return k
}
