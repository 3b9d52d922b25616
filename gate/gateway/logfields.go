package gateway

import (
	"net/http"

	"go.uber.org/zap"
)

// zapPath logs the request path, never its query (which may hold a token).
func zapPath(r *http.Request) zap.Field { return zap.String("path", r.URL.Path) }
