package otp

import (
	"strings"
	"testing"
)

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"123456", "ABCDE-FGHJK", "abcd-efgh-jkmn-pqrs", "", "１２３", "\x00\xff", strings.Repeat("9", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, norm := Classify(s)
		switch kind {
		case KindTOTP:
			if !ValidCode(norm) {
				t.Fatalf("%q: totp %q is not 6 digits", s, norm)
			}
		case KindRecovery, KindPass:
			want := map[string]int{KindRecovery: RecoveryLen, KindPass: PassLen}[kind]
			if len(norm) != want || strings.Trim(norm, alphabet) != "" {
				t.Fatalf("%q: %s %q has the wrong shape", s, kind, norm)
			}
		case KindInvalid:
		default:
			t.Fatalf("%q: unknown kind %q", s, kind)
		}
		if k2, n2 := Classify(norm); kind != KindInvalid && (k2 != kind || n2 != norm) {
			t.Fatalf("%q: normalising twice changed %s %q to %s %q", s, kind, norm, k2, n2)
		}
	})
}
