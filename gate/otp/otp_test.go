package otp

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

type rfcVectors struct {
	Secrets map[string]string `json:"secrets"`
	Vectors []map[string]any  `json:"vectors"`
}

func loadVectors(t *testing.T) rfcVectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/rfc6238.json")
	if err != nil {
		t.Fatal(err)
	}
	var v rfcVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCodeAtMatchesRFC6238AppendixB(t *testing.T) {
	v := loadVectors(t)
	n := 0
	for _, vec := range v.Vectors {
		ts := int64(vec["time"].(float64))
		for _, alg := range []Algorithm{SHA1, SHA256} {
			want := vec[string(alg)].(string)
			got, err := CodeAt([]byte(v.Secrets[string(alg)]), alg, Step(time.Unix(ts, 0)), 8)
			if err != nil || got != want {
				t.Errorf("%s at %d: %q %v, want %q", alg, ts, got, err, want)
			}
			n++
		}
	}
	if n != 12 {
		t.Fatalf("checked %d vectors, want 12", n)
	}
}

func TestMatchAcceptsOneStepOfDriftAndSaysWhichStep(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1_700_000_015, 0)
	for _, d := range []int64{-2, -1, 0, 1, 2} {
		code, _ := CodeAt(secret, SHA256, Step(now)+d, Digits)
		step, ok := Match(secret, SHA256, code, now)
		wantOK := d >= -1 && d <= 1
		if ok != wantOK || (ok && step != Step(now)+d) {
			t.Errorf("drift %d: step %d ok %v, want ok %v", d, step, ok, wantOK)
		}
	}
	if _, ok := Match(secret, SHA256, "000000", now); ok {
		code, _ := Code(secret, SHA256, now)
		if code != "000000" {
			t.Error("a wrong code matched")
		}
	}
	if _, ok := Match(secret, "MD5", "123456", now); ok {
		t.Error("an unknown algorithm matched")
	}
}

func TestClassify(t *testing.T) {
	tests := []struct{ in, kind, norm string }{
		{"123456", KindTOTP, "123456"},
		{" 123 456 ", KindTOTP, "123456"},
		{"12345", KindInvalid, "12345"},
		{"1234567", KindInvalid, "1234567"},
		{"12a456", KindInvalid, "12A456"},
		{"abcde-fghjk", KindRecovery, "ABCDEFGHJK"},
		{"ABCDE-FGHJ0", KindInvalid, "ABCDEFGHJ0"},
		{"ABCD-EFGH-JKLM-NPQR", KindPass, "ABCDEFGHJKLMNPQR"},
		{"", KindInvalid, ""},
		{strings.Repeat("A", 65), KindInvalid, ""},
		{"１２３４５６", KindInvalid, "１２３４５６"},
	}
	for _, tt := range tests {
		kind, norm := Classify(tt.in)
		if kind != tt.kind || norm != tt.norm {
			t.Errorf("Classify(%q) = %q %q, want %q %q", tt.in, kind, norm, tt.kind, tt.norm)
		}
	}
	for _, c := range NewRecoveryCodes() {
		if k, _ := Classify(c); k != KindRecovery || len(c) != 11 {
			t.Errorf("recovery code %q classifies as %q", c, k)
		}
	}
	if k, _ := Classify(NewPass()); k != KindPass {
		t.Errorf("a pass classifies as %q", k)
	}
}

func TestSealOpensOnlyForItsDeviceAndAfterRotation(t *testing.T) {
	old := bytes.Repeat([]byte("o"), 32)
	cur := bytes.Repeat([]byte("c"), 32)
	k1, err := NewKeys(old)
	if err != nil {
		t.Fatal(err)
	}
	secret := NewSecret()
	sealed := k1.Seal("dev_a", secret)
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed form contains the secret")
	}
	if got, err := k1.Open("dev_a", sealed); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open: %v", err)
	}
	if _, err := k1.Open("dev_b", sealed); err == nil {
		t.Fatal("opened for another device")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k1.Open("dev_a", sealed); err == nil {
		t.Fatal("opened an altered secret")
	}
	sealed[len(sealed)-1] ^= 1
	k2, _ := NewKeys(cur, old)
	if got, err := k2.Open("dev_a", sealed); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open after rotation: %v", err)
	}
	k3, _ := NewKeys(cur)
	if _, err := k3.Open("dev_a", sealed); err == nil {
		t.Fatal("opened without the old key")
	}
	if _, err := NewKeys([]byte("short")); err == nil {
		t.Fatal("accepted a short master key")
	}
	h1, h2 := k1.Hashes(KindRecovery, "a@x", "AAAAA"), k2.Hashes(KindRecovery, "a@x", "AAAAA")
	if len(h2) != 2 || h2[1] != h1[0] || h2[0] == h1[0] {
		t.Fatalf("hashes: %v %v", h1, h2)
	}
	if k1.Hashes(KindRecovery, "b@x", "AAAAA")[0] == h1[0] || k1.Hashes(KindPass, "a@x", "AAAAA")[0] == h1[0] {
		t.Fatal("hashes do not depend on email and kind")
	}
}
