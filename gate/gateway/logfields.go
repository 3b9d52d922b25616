package gateway

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"
)

// zapPath logs the request path, never its query (which may hold a
// token), and never the secret of a session handle in it.
func zapPath(r *http.Request) zap.Field { return zap.String("path", redactPath(r.URL.Path)) }

// redactPath replaces the secret part of a session handle ("<login
// id>.<secret>", which the standalone gate's /auth/check and /auth/events
// carry in their last segment) with "…".
func redactPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	dir := p[:i+1]
	if !strings.HasSuffix(dir, "/auth/check/") && !strings.HasSuffix(dir, "/auth/events/") {
		return p
	}
	if j := strings.IndexByte(p[i+1:], '.'); j >= 0 {
		return p[:i+1+j] + ".…"
	}
	return p
}

// maxEventPath bounds the path an access event keeps, in bytes: the
// audit trail holds many thousands of events, and a request's head may
// be far longer than any path worth reading there.
const maxEventPath = 1024

// eventPath returns the request path for an access event, cut to
// maxEventPath bytes on a rune boundary and marked "…" where it was cut.
func eventPath(r *http.Request) string {
	p := r.URL.Path
	if len(p) <= maxEventPath {
		return p
	}
	cut := maxEventPath
	for cut > 0 && !utf8.RuneStart(p[cut]) {
		cut--
	}
	return p[:cut] + "…"
}
