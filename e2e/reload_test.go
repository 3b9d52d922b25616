package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/testenv"
)

// TestReloadKeepsLoginsAndSessions reloads the config (memory store, no
// signing_key: the generated key lives in Caddy's storage) while one
// login is pending and one user is logged in: both survive.
func TestReloadKeepsLoginsAndSessions(t *testing.T) {
	up := newUpstream(t)
	port := testenv.FreePort(t)
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	caddyfile := func(appID string) string {
		return fmt.Sprintf("{\n\tadmin %s\n\tauto_https off\n\tauthgate {\n\t\tpublic_url %s\n\t}\n}\n\n%s {\n\tauthgate {\n\t\tapp_id %s\n\t}\n\treverse_proxy %s\n}\n",
			admin, base, base, appID, strings.TrimPrefix(up.URL, "http://"))
	}
	c := testenv.StartCaddy(t, caddyBin, caddyfile("before"), admin, base+"/.authgate/healthz")
	g := &gate{t: t, base: base, caddy: c}
	dev := g.enroll("mia@example.com")
	loggedIn := newBrowser(t, base)
	loggedIn.login(dev, "mia@example.com")
	waiting := newBrowser(t, base)
	s := waiting.start("mia@example.com")

	req, _ := http.NewRequest(http.MethodPost, c.Admin+"/load", bytes.NewReader([]byte(caddyfile("after"))))
	req.Header.Set("Content-Type", "text/caddyfile")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reload: %v %v", resp, err)
	}
	resp.Body.Close()

	if status, _, _ := loggedIn.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil); status != http.StatusOK {
		t.Fatalf("session after reload: %d", status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := dev.WaitPending(ctx, 20*time.Millisecond)
	if err != nil || p.SessionID != s.SessionID {
		t.Fatalf("pending login after reload: %+v %v", p, err)
	}
	if status, err := dev.Decide(ctx, s.SessionID, "approve", s.Code); err != nil || status != "approved" {
		t.Fatalf("approving after reload: %q %v", status, err)
	}
	if st, rd, _ := waiting.check(s.SessionID); st != "approved" || rd == "" {
		t.Fatalf("collecting after reload: %q %q", st, rd)
	}
	if status, _, _ := waiting.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil); status != http.StatusOK {
		t.Fatalf("new session after reload: %d", status)
	}
}

// TestReloadKeepsQueuedWebhookDeliveries queues deliveries to a slow
// receiver with the memory store and reloads the config: the new config
// delivers what the old one had not.
func TestReloadKeepsQueuedWebhookDeliveries(t *testing.T) {
	const total = 200
	rc := newReceiver(t, 20*time.Millisecond)
	g := startGate(t, storeLine(""), newUpstream(t), webhookBlock(rc.URL, "events ping"))
	var eps []struct{ ID string }
	resp, err := http.Get(g.caddy.Admin + "/authgate/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&eps); err != nil || len(eps) != 1 {
		t.Fatalf("webhooks: %v %v", eps, err)
	}
	resp.Body.Close()
	for i := 0; i < total; i++ {
		if status := postJSON(t, g.caddy.Admin+"/authgate/webhooks/"+eps[0].ID+"/ping", nil, nil); status != http.StatusOK {
			t.Fatalf("ping: %d", status)
		}
	}
	before := rc.distinct()
	g.reload()
	if before >= total {
		t.Fatalf("everything was delivered before the reload; the test proves nothing")
	}
	deadline := time.Now().Add(60 * time.Second)
	for rc.distinct() < total && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d of %d delivered before the reload, %d after it", before, total, rc.distinct())
	if rc.distinct() != total {
		t.Fatalf("%d of %d deliveries arrived after the reload", rc.distinct(), total)
	}
}

// TestAReloadThatRemovesAnAdministratorClosesTheConsole: an administrator
// signed in before a reload that drops them from the admin group is
// refused by the console at once, though their session lasts.
func TestAReloadThatRemovesAnAdministratorClosesTheConsole(t *testing.T) {
	g := startGateWith(t, storeLine(""), newUpstream(t), gateLines{app: "group admin boss@example.com"})
	dev := g.enroll("boss@example.com")
	boss := newBrowser(t, g.base)
	boss.login(dev, "boss@example.com")
	html := http.Header{"Accept": {"text/html"}}
	if status, _, _ := boss.do(http.MethodGet, "/.authgate/admin/", html, nil); status != http.StatusOK {
		t.Fatalf("the console before the reload: %d", status)
	}
	g.reloadWith(func(cfg []byte) []byte {
		if !bytes.Contains(cfg, []byte(`"boss@example.com"`)) {
			t.Fatalf("no group line for boss in the config: %s", cfg)
		}
		return bytes.ReplaceAll(cfg, []byte(`"boss@example.com"`), []byte(`"successor@example.com"`))
	})
	if status, _, body := boss.do(http.MethodGet, "/.authgate/admin/", html, nil); status != http.StatusForbidden || !strings.Contains(string(body), "not an administrator") {
		t.Fatalf("the console after the reload: %d %s", status, body)
	}
	if status, _, _ := boss.do(http.MethodGet, "/private", http.Header{"Accept": {"application/json"}}, nil); status != http.StatusOK {
		t.Fatalf("the session after the reload: %d", status)
	}
}
