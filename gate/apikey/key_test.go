package apikey

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/authgate/authgate/gate/token"
)

func TestGeneratedKeysParseAndAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		raw, id, err := generate()
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != KeyLen || !strings.HasPrefix(raw, "ag_") {
			t.Fatalf("key %d bytes, prefix %q", len(raw), raw[:3])
		}
		got, ok := Parse(raw)
		if !ok || got != id {
			t.Fatalf("Parse(%s…) = %q, %v; want id %q", raw[:19], got, ok, id)
		}
		if seen[raw] || seen[id] {
			t.Fatal("a key or id repeated")
		}
		seen[raw], seen[id] = true, true
	}
}

func TestParseRefusesWhatWasNeverMinted(t *testing.T) {
	raw, _, _ := generate()
	for name, s := range map[string]string{
		"empty":          "",
		"prefix only":    "ag_",
		"short":          raw[:KeyLen-1],
		"long":           raw + "A",
		"other prefix":   "gh_" + raw[3:],
		"upper prefix":   "AG_" + raw[3:],
		"not base64url":  raw[:20] + "+" + raw[21:],
		"padding":        raw[:KeyLen-1] + "=",
		"nul":            raw[:30] + "\x00" + raw[31:],
		"nonzero pad":    raw[:KeyLen-1] + "B",
		"space inside":   raw[:10] + " " + raw[11:],
		"a session id":   "ag_" + strings.Repeat("A", 22),
		"jwt-looking":    "eyJhbGciOiJIUzI1NiJ9.e30.x",
		"unicode inside": raw[:KeyLen-2] + "é",
	} {
		if _, ok := Parse(s); ok {
			t.Errorf("%s: Parse accepted %q", name, s)
		}
	}
}

func TestParseAllocatesNothing(t *testing.T) {
	raw, _, _ := generate()
	if n := testing.AllocsPerRun(100, func() { Parse(raw) }); n != 0 {
		t.Fatalf("Parse allocates %v times", n)
	}
}

func TestHasherChecksWithTheKeyThatHashedAndSurvivesRotation(t *testing.T) {
	oldKey := testKey(t)
	h1, err := NewHasher([]token.Key{oldKey})
	if err != nil {
		t.Fatal(err)
	}
	raw, _, _ := generate()
	kid, sum := h1.Hash(raw)
	if kid != "k1" || len(sum) != 32 {
		t.Fatalf("hash by %q of %d bytes", kid, len(sum))
	}
	if !h1.Verify(raw, kid, sum) {
		t.Fatal("a key does not verify against its own hash")
	}
	other, _, _ := generate()
	if h1.Verify(other, kid, sum) || h1.Verify(raw, "nope", sum) || h1.Verify(raw, kid, sum[:31]) {
		t.Fatal("a wrong key, kid or truncated hash verified")
	}
	// Rotation: a new signing key first, the old one kept as previous.
	newKey := token.NewEdDSAKey("k2", ed25519.NewKeyFromSeed(make([]byte, 32)))
	h2, err := NewHasher([]token.Key{newKey, oldKey})
	if err != nil {
		t.Fatal(err)
	}
	if !h2.Verify(raw, kid, sum) {
		t.Fatal("a key hashed before rotation stopped verifying while the old key is configured")
	}
	if kid2, _ := h2.Hash(raw); kid2 != "k2" {
		t.Fatalf("new keys are hashed with %q, want the signing key k2", kid2)
	}
	// The hash is keyed: the same key under another server key differs.
	if _, sum2 := h2.Hash(raw); string(sum2) == string(sum) {
		t.Fatal("two server keys gave the same hash")
	}
	// Dropping the old key stops its keys.
	h3, _ := NewHasher([]token.Key{newKey})
	if h3.Verify(raw, kid, sum) {
		t.Fatal("a key verified after its hashing key was removed")
	}
	if _, err := NewHasher([]token.Key{{ID: "pub", Alg: token.AlgEdDSA, Public: newKey.Public}}); err == nil {
		t.Fatal("a verify-only signing key was accepted for hashing")
	}
}

// FuzzParse: whatever Parse accepts has a key's shape, and its id is the
// 16 characters after the prefix.
func FuzzParse(f *testing.F) {
	raw, _, _ := generate()
	for _, s := range []string{raw, "", "ag_", raw[:KeyLen-1] + "B", "ag_" + strings.Repeat("_", KeyLen-3)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := Parse(s)
		if !ok {
			if id != "" {
				t.Fatalf("a refused string gave id %q", id)
			}
			return
		}
		if len(s) != KeyLen || !strings.HasPrefix(s, Prefix) || id != s[3:19] {
			t.Fatalf("Parse(%q) accepted with id %q", s, id)
		}
		for i := 3; i < len(s); i++ {
			if !IsKeyChar(s[i]) {
				t.Fatalf("accepted byte %q", s[i])
			}
		}
	})
}

// An id never starts with a dash (1 draw in 64 would, unchecked), so the
// CLI never reads one as a flag.
func TestKeyIDsNeverLookLikeAFlag(t *testing.T) {
	for range 3000 {
		raw, id, err := generate()
		if err != nil {
			t.Fatal(err)
		}
		if id[0] == '-' || !strings.HasPrefix(raw, Prefix+id) {
			t.Fatalf("key %q with id %q", raw, id)
		}
	}
}
