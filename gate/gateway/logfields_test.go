package gateway

import "testing"

func TestRedactPathHidesTheHandlesSecret(t *testing.T) {
	for in, want := range map[string]string{
		"/auth/check/abc.s3cr3t":    "/auth/check/abc.…",
		"/auth/events/abc.s3cr3t":   "/auth/events/abc.…",
		"/.authgate/auth/check/abc": "/.authgate/auth/check/abc",
		"/.authgate/assets/app.js":  "/.authgate/assets/app.js",
		"/.authgate/login":          "/.authgate/login",
	} {
		if got := redactPath(in); got != want {
			t.Errorf("redactPath(%q) = %q, want %q", in, got, want)
		}
	}
}
