package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/push"
	"github.com/authgate/authgate/internal/testenv"
)

// TestPushKeyIsKeptAcrossReloadsAndPushesStillFlow starts a gate without
// push_key: the VAPID key it generates is kept in Caddy's storage, so a
// reload serves the same key, and the new config's workers deliver the
// next push to the subscription made before the reload. A configured
// push_key is then the one served.
func TestPushKeyIsKeptAcrossReloadsAndPushesStillFlow(t *testing.T) {
	ps := startWebPushService(t)
	up := newUpstream(t)
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := fmt.Sprintf("http://127.0.0.1:%d", testenv.FreePort(t))
	caddyfile := func(extra string) string {
		return fmt.Sprintf("{\n\tadmin %s\n\tauto_https off\n\tauthgate {\n\t\tpublic_url %s\n\t\tpush_services %s\n\t\t%s\n\t}\n}\n\n%s {\n\tauthgate {\n\t\tapp_id e2e\n\t}\n\treverse_proxy %s\n}\n",
			admin, base, ps.base, extra, base, strings.TrimPrefix(up.URL, "http://"))
	}
	reload := func(c *testenv.Caddy, text string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, c.Admin+"/load", bytes.NewReader([]byte(text)))
		req.Header.Set("Content-Type", "text/caddyfile")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("reload: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	c := testenv.StartCaddy(t, caddyBin, caddyfile(""), admin, base+"/.authgate/healthz")
	g := &gate{t: t, base: base, caddy: c}
	key := servedPushKey(t, base)
	const email = "vic@example.com"
	dev := g.enroll(email)
	sub, hash := ps.subscribe(key)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := dev.SetPush(ctx, sub); err != nil {
		t.Fatal(err)
	}

	reload(c, caddyfile("push_contact mailto:ops@example.com"))
	if again := servedPushKey(t, base); again != key {
		t.Fatalf("the generated key changed on reload: %s then %s", key, again)
	}
	newBrowser(t, base).start(email)
	ps.waitMessages(hash, 1)

	k, err := push.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	reload(c, caddyfile("push_key "+k.Encode()))
	if served := servedPushKey(t, base); served != k.PublicKey() {
		t.Fatalf("push_key not served: %s, want %s", served, k.PublicKey())
	}
}

// TestDamagedStoredPushKeyIsNamed damages the VAPID key the gate
// generated and kept in Caddy's storage: the next load is refused with
// an error that says which key and where, since the config holds no
// push_key to look at.
func TestDamagedStoredPushKeyIsNamed(t *testing.T) {
	g := startGate(t, "store memory", newUpstream(t), "")
	servedPushKey(t, g.base)
	stored := filepath.Join(filepath.Dir(g.caddy.Caddyfile), "data", "caddy", "authgate", "push_key")
	if _, err := os.Stat(stored); err != nil {
		t.Fatalf("the generated key is not kept where expected: %v", err)
	}
	if err := os.WriteFile(stored, []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(g.caddy.Admin + "/config/")
	if err != nil {
		t.Fatal(err)
	}
	cfg := readAll(resp)
	req, _ := http.NewRequest(http.MethodPost, g.caddy.Admin+"/load", bytes.NewReader(cfg))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cache-Control", "must-revalidate")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := string(readAll(resp))
	if resp.StatusCode == http.StatusOK || !strings.Contains(body, "push key kept in Caddy's storage at authgate/push_key") {
		t.Fatalf("load with a damaged stored push key: %d %s", resp.StatusCode, body)
	}
}
