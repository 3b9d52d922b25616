package gateway

import (
	"net/http"
	"strings"
)

// Identity headers set for the upstream on an authenticated request.
const (
	HeaderUser    = "Remote-User"
	HeaderEmail   = "Remote-Email"
	HeaderGroups  = "Remote-Groups"
	HeaderSession = "X-Authgate-Session"
)

// identityHeaderNames are the lower-case, dash-separated forms of every
// header an upstream may trust; any client-sent spelling of them is
// removed.
var identityHeaderNames = [...]string{"remote-user", "remote-email", "remote-groups", "remote-name"}

// stripIdentityHeaders deletes every client-sent spelling of the identity
// headers: any case, and "_" or "." in place of "-", and every header
// whose name starts with x-authgate-. Go and Caddy do not fold those
// spellings together, and upstream frameworks (CGI, PHP, Rails) do.
// It allocates nothing.
func stripIdentityHeaders(h http.Header) {
	for name := range h {
		if isIdentityHeader(name) {
			delete(h, name)
		}
	}
}

func isIdentityHeader(name string) bool {
	if foldedHasPrefix(name, "x-authgate-") {
		return true
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

// removeCookie drops the named cookie from the request's Cookie headers so
// the upstream never sees the gateway's token. It allocates only when
// other cookies remain.
func removeCookie(h http.Header, name string) {
	lines := h["Cookie"]
	if len(lines) == 0 {
		return
	}
	var kept []string
	for _, line := range lines {
		if !strings.Contains(line, name) {
			kept = append(kept, line)
			continue
		}
		var b strings.Builder
		for rest := line; len(rest) > 0; {
			var part string
			part, rest, _ = strings.Cut(rest, ";")
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if k, _, _ := strings.Cut(part, "="); k == name {
				continue
			}
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(part)
		}
		if b.Len() > 0 {
			kept = append(kept, b.String())
		}
	}
	if len(kept) == 0 {
		delete(h, "Cookie")
		return
	}
	h["Cookie"] = kept
}
