package webhook

import (
	"strings"
	"testing"
)

func TestShownURLKeepsPasswordsAndTokensOut(t *testing.T) {
	cases := map[string]string{
		"https://hooks.example.com/in":                     "https://hooks.example.com/in",
		"https://svc:PW@hooks.example.com/in?token=TOKEN":  "https://…@hooks.example.com/in?…",
		"http://127.0.0.1:9000/pre?token=TOKEN#frag":       "http://127.0.0.1:9000/pre?…",
		"ftp://hooks.example.com/x?token=TOKEN":            "ftp://hooks.example.com/x?…",
		"https://user@hooks.example.com":                   "https://…@hooks.example.com",
		"https://hooks.example.com/a%2Fb?":                 "https://hooks.example.com/a%2Fb?…",
		"http://[::1]:8080/h":                              "http://[::1]:8080/h",
		"https://hooks.example.com/%zz?token=TOKEN":        "(a URL that does not parse)",
		"https://PW@hooks.example.com/" + "in?k=TOKEN&x=1": "https://…@hooks.example.com/in?…",
	}
	for raw, want := range cases {
		got := ShownURL(raw)
		if got != want {
			t.Errorf("ShownURL(%q) = %q, want %q", raw, got, want)
		}
		if strings.Contains(got, "PW") || strings.Contains(got, "TOKEN") {
			t.Errorf("ShownURL(%q) = %q shows a secret", raw, got)
		}
	}
}
