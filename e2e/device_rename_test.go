package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
)

// TestDeviceRenameBounds renames a phone with names a client chose: one
// with markup and escapes keeps only its printable text, one too long is
// cut, and one with nothing printable in it (empty, spaces, escapes) is
// refused with 400 and changes nothing.
func TestDeviceRenameBounds(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	phone := g.enroll("alice@example.com")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	got, err := phone.Rename(ctx, "<img src=x onerror=alert(1)>\x1b[2J\u202e")
	if err != nil || got.Name != "<img src=x onerror=alert(1)>[2J" {
		t.Fatalf("rename with markup and escapes: %q %v", got.Name, err)
	}
	got, err = phone.Rename(ctx, strings.Repeat("é", 20<<10))
	if err != nil || got.Name != strings.Repeat("é", 64) {
		t.Fatalf("rename with 20 K runes: %d runes, %v", len([]rune(got.Name)), err)
	}
	for _, name := range []string{"", "   ", "\x1b\x07\u200b"} {
		_, err := phone.Rename(ctx, name)
		var ae *deviceclient.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
			t.Errorf("rename to %q: %v, want 400", name, err)
		}
	}
	if me, err := phone.Me(ctx); err != nil || me.Name != strings.Repeat("é", 64) {
		t.Fatalf("after the refused renames the phone is %q (%v)", me.Name, err)
	}
}
