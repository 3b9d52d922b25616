package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// withKeys returns the JSON config cfg with the authgate app's
// signing_key and previous_keys set so.
func withKeys(t *testing.T, cfg []byte, signing string, previous ...string) []byte {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(cfg, &c); err != nil {
		t.Fatal(err)
	}
	app := c["apps"].(map[string]any)["authgate"].(map[string]any)
	app["signing_key"] = signing
	delete(app, "previous_keys")
	if len(previous) > 0 {
		app["previous_keys"] = previous
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAReloadThatDropsTheSigningKeySaysSo: a reload whose signing_key
// replaces the one sessions were signed with, without keeping it as
// previous_key, signs everyone out; the log says so, once, at error
// level, naming key ids and never a key. A rotation that keeps the old
// key as previous_key says nothing.
func TestAReloadThatDropsTheSigningKeySaysSo(t *testing.T) {
	t.Parallel()
	const warning = "signing_key changed without the old key as previous_key"
	g := startGate(t, storeLine(""), newUpstream(t), "")
	rotated := testSigningKey + "-rotated"
	g.reloadWith(func(cfg []byte) []byte { return withKeys(t, cfg, rotated, testSigningKey) })
	if strings.Contains(g.caddy.Log(), warning) {
		t.Fatalf("a rotation keeping previous_key was reported:\n%s", g.caddy.Log())
	}
	g.reloadWith(func(cfg []byte) []byte { return withKeys(t, cfg, testSigningKey+"-dropped") })
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(g.caddy.Log(), warning) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := strings.Count(g.caddy.Log(), warning); n != 1 {
		t.Fatalf("a reload that dropped the signing key: %d warnings, want 1:\n%s", n, g.caddy.Log())
	}
	if strings.Contains(g.caddy.Log(), rotated) {
		t.Fatal("the log holds a signing key itself")
	}
}
