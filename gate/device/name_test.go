package device

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Alice's Pixel", "Alice's Pixel"},
		{"  padded\t", "padded"},
		{"", DefaultDeviceName},
		{" \t\n ", DefaultDeviceName},
		{"\x00\x01\x1b[31m", "[31m"},
		{"line\nbreak", "linebreak"},
		{"bidi\u202eevil", "bidievil"},
		{"zero\u200bwidth", "zerowidth"},
		{"bad\xffutf8", "badutf8"},
		{"real \ufffd kept", "real \ufffd kept"},
		{"Téléphone 📱", "Téléphone 📱"},
		{"\x00 Phone", "Phone"},
		{strings.Repeat("é", 70), strings.Repeat("é", MaxNameRunes)},
		{strings.Repeat("a", 63) + " b", strings.Repeat("a", 63)},
	}
	for _, c := range cases {
		got := CleanName(c.in)
		if got != c.want {
			t.Errorf("CleanName(%q) = %q, want %q", c.in, got, c.want)
		}
		if utf8.RuneCountInString(got) > MaxNameRunes || !utf8.ValidString(got) {
			t.Errorf("CleanName(%q) = %q: too long or invalid UTF-8", c.in, got)
		}
	}
}

func TestBlankName(t *testing.T) {
	for name, want := range map[string]bool{
		"": true, "   ": true, "\x1b\x07\u200b": true, "\t\n": true,
		"Pixel": false, " \u200bé ": false, "<b>": false,
	} {
		if got := BlankName(name); got != want {
			t.Errorf("BlankName(%q) = %v, want %v", name, got, want)
		}
	}
}
