package flow

import (
	"context"
	"strings"
)

// A session handle is what the standalone gate's POST /auth/start returns
// as session_id to an API client: "<login id>.<binding secret>". The
// client sends it back in /auth/check/{session_id} (as the guide's widget
// does), which proves it started the login, so the token is handed to it
// and to no one else. The phone, the events and the webhooks see only the
// login id. The trade-off: the secret travels in a URL path (it can end
// up in access logs of proxies in between, and in the browser's memory),
// where a browser login keeps it in an HttpOnly cookie; it works once,
// for one approval window, and only before anyone else collected the
// login.

// Handle returns the session handle of a login started by an API client.
func Handle(st *Started) string { return st.Login.ID + "." + st.Binding }

// SplitHandle splits a session handle into the login id and the binding
// secret; ok is false when h has no secret part.
func SplitHandle(h string) (loginID, secret string, ok bool) {
	loginID, secret, ok = strings.Cut(h, ".")
	return loginID, secret, ok && loginID != "" && secret != ""
}

// CheckHandle is Check for a login started by an API client, named by its
// session handle or, for a read of its state only, by its login id. The
// first call after approval with the right handle collects the login
// (Session set); every other call only reads it.
func (s *Service) CheckHandle(ctx context.Context, handle string) (*CheckResult, error) {
	id, secret, ok := SplitHandle(handle)
	if !ok {
		id, secret = handle, ""
	}
	return s.check(ctx, id, secret, true)
}
