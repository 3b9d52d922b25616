package gateway

import (
	"net/http"
	"strings"

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
