package device

import (
	"errors"
	"strings"
	"testing"
)

const testToken = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8" // bytes 0..31

func TestEnrollmentLinkRoundTrip(t *testing.T) {
	for _, base := range []string{
		"https://app.example.com/.authgate",
		"https://app.example.com/.authgate/",
		"http://127.0.0.1:8080/gate",
		"https://example.com",
	} {
		link := EnrollmentLink(base, testToken)
		if !strings.Contains(link, "/app#enroll="+testToken) {
			t.Errorf("EnrollmentLink(%q) = %q: token not in the fragment", base, link)
		}
		gotBase, gotToken, err := ParseEnrollmentLink(link)
		if err != nil || gotBase != strings.TrimRight(base, "/") || gotToken != testToken {
			t.Errorf("ParseEnrollmentLink(%q) = %q, %q, %v", link, gotBase, gotToken, err)
		}
	}
}

func TestParseEnrollmentLink(t *testing.T) {
	cases := []struct {
		name, link, base string
	}{
		{"gate under a path", "https://a.example/.authgate/app#enroll=" + testToken, "https://a.example/.authgate"},
		{"gate at the root", "https://a.example/app#enroll=" + testToken, "https://a.example"},
		{"port and spaces around", "  http://127.0.0.1:9/x/app#enroll=" + testToken + "\n", "http://127.0.0.1:9/x"},
		{"no fragment", "https://a.example/app", ""},
		{"token in the query", "https://a.example/app?enroll=" + testToken, ""},
		{"query and fragment", "https://a.example/app?x=1#enroll=" + testToken, ""},
		{"other fragment key", "https://a.example/app#token=" + testToken, ""},
		{"extra fragment part", "https://a.example/app#enroll=" + testToken + "&x=1", ""},
		{"short token", "https://a.example/app#enroll=" + testToken[:42], ""},
		{"long token", "https://a.example/app#enroll=" + testToken + "A", ""},
		{"token not base64url", "https://a.example/app#enroll=" + strings.Repeat("+", 43), ""},
		{"wrong path", "https://a.example/approve#enroll=" + testToken, ""},
		{"javascript scheme", "javascript:alert(1)//app#enroll=" + testToken, ""},
		{"ftp scheme", "ftp://a.example/app#enroll=" + testToken, ""},
		{"user info", "https://gate.example@evil.example/app#enroll=" + testToken, ""},
		{"no host", "https:///app#enroll=" + testToken, ""},
		{"relative", "/app#enroll=" + testToken, ""},
		{"empty", "", ""},
		{"huge", "https://a.example/" + strings.Repeat("a", 3000) + "/app#enroll=" + testToken, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base, token, err := ParseEnrollmentLink(c.link)
			if c.base == "" {
				if !errors.Is(err, ErrInvalidLink) {
					t.Fatalf("ParseEnrollmentLink = %q, %q, %v; want ErrInvalidLink", base, token, err)
				}
				return
			}
			if err != nil || base != c.base || token != testToken {
				t.Fatalf("ParseEnrollmentLink = %q, %q, %v; want %q", base, token, err, c.base)
			}
		})
	}
}
