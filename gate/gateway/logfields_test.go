package gateway

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

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

func TestEventPathIsBoundedOnARuneBoundary(t *testing.T) {
	short := httptest.NewRequest(http.MethodGet, "/reports/2026", nil)
	if got := eventPath(short); got != "/reports/2026" {
		t.Errorf("eventPath of a short path = %q", got)
	}
	// "é" is two bytes: the cut at maxEventPath falls inside one.
	long := &http.Request{URL: &url.URL{Path: "/" + strings.Repeat("é", maxEventPath)}}
	got := eventPath(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > maxEventPath+len("…") {
		t.Errorf("eventPath of a long path = %d bytes, valid UTF-8 %v, ends %q", len(got), utf8.ValidString(got), got[len(got)-6:])
	}
}
