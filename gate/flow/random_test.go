package flow

import (
	"encoding/base64"
	"testing"
)

// TestNewIDNeverLooksLikeAFlag draws enough ids that, were a leading "-"
// possible (1 in 64 per draw), one would all but surely appear.
func TestNewIDNeverLooksLikeAFlag(t *testing.T) {
	seen := map[string]bool{}
	for range 5000 {
		id := NewID()
		if id[0] == '-' {
			t.Fatalf("id %q starts with a dash", id)
		}
		if raw, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(raw) != 16 {
			t.Fatalf("id %q is not 128 bits of base64url: %v", id, err)
		}
		if seen[id] {
			t.Fatalf("id %q drawn twice", id)
		}
		seen[id] = true
	}
}
