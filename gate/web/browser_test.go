package web

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestBrowserName(t *testing.T) {
	tests := []struct {
		name, ua, want string
	}{
		{"chrome linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Linux"},
		{"chrome android", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"},
		{"chrome ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome on iOS"},
		{"safari iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iOS"},
		{"safari ipad", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iPadOS"},
		{"safari mac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS"},
		{"firefox windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"},
		{"firefox ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15", "Firefox on iOS"},
		{"edge windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"},
		{"opera", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0", "Opera on Windows"},
		{"samsung", "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"},
		{"chromeos", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on ChromeOS"},
		{"headless", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Headless Chrome on Linux"},
		{"curl", "curl/8.5.0", "curl"},
		{"go", "Go-http-client/1.1", "Go client"},
		{"os only", "Something (Windows NT 10.0)", "Browser on Windows"},
		{"empty", "", "Unknown browser"},
		{"garbage", "\x00\xff<script>alert(1)</script>", "Unknown browser"},
		{"token past the read limit", strings.Repeat("x", 600) + " Firefox/1", "Unknown browser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BrowserName(tt.ua); got != tt.want {
				t.Errorf("BrowserName(%q) = %q, want %q", tt.ua, got, tt.want)
			}
		})
	}
}

// FuzzBrowserName checks that any User-Agent, however hostile, yields a
// short printable name built only from the known words.
func FuzzBrowserName(f *testing.F) {
	for _, seed := range []string{
		"", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Mobile Safari/604.1",
		"Firefox/Edg/OPR/", "\xff\xfe\x00", "Android Windows iPhone",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		got := BrowserName(ua)
		if got == "" || len(got) > 40 || !utf8.ValidString(got) {
			t.Fatalf("BrowserName(%q) = %q", ua, got)
		}
		if strings.ContainsAny(got, "<>&\"'/\x00") {
			t.Fatalf("BrowserName(%q) = %q carries User-Agent text", ua, got)
		}
	})
}
