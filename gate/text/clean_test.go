package text

import (
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"Pixel 8", 64, "Pixel 8"},
		{"bad\xffutf8", 64, "badutf8"},
		{"real \ufffd kept", 64, "real \ufffd kept"},
		{"esc\x1b[31mred", 64, "esc[31mred"},
		{"line\u2028sep\u202eRTL\u200bzw", 64, "linesepRTLzw"},
		{"tab\tnew\nline", 64, "tabnewline"},
		{"ééééé", 3, "ééé"},
		{"", 5, ""},
	}
	for _, tt := range tests {
		if got := Clean(tt.in, tt.max); got != tt.want {
			t.Errorf("Clean(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "a", "\xff", "\x1b[0m", "\u2028", "日本語"} {
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1000 {
			return
		}
		got := Clean(s, max)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > max {
			t.Fatalf("Clean(%q, %d) = %q: invalid or too long", s, max, got)
		}
		if Clean(got, max) != got {
			t.Fatalf("Clean is not idempotent on %q", s)
		}
	})
}
