package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var (
	webhookItem = regexp.MustCompile(`data-webhook="([^"]+)"`)
	addedSecret = regexp.MustCompile(`id="added-secret">([^<]+)<`)
)

// TestConsoleWebhookActionsReachTheDispatcher drives the console's
// webhook actions over HTTP against a running gate: a receiver disabled
// by 410 is shown so and enabled again, a ping reaches it, and a receiver
// added at runtime shows its secret once and can be removed.
func TestConsoleWebhookActionsReachTheDispatcher(t *testing.T) {
	var gone atomic.Bool
	gone.Store(true)
	var hits atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if gone.Load() {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	g := startGate(t, storeLine(""), newUpstream(t), "group admin boss@example.com\n\t\t"+webhookBlock(rcv.URL, "events login"))
	bossPhone := g.enroll("boss@example.com")
	boss := newBrowser(t, g.base)
	boss.login(bossPhone, "boss@example.com")

	page := func() string {
		t.Helper()
		status, body := boss.consolePage("/.authgate/admin/webhooks")
		if status != http.StatusOK {
			t.Fatalf("webhook page: %d", status)
		}
		return body
	}
	deadline := time.Now().Add(stepTimeout)
	body := page()
	for !strings.Contains(body, "disabled (410 Gone)") {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver that answered 410 is not shown disabled:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
		body = page()
	}
	id := webhookItem.FindStringSubmatch(body)[1]
	csrf := consoleCSRF.FindStringSubmatch(body)[1]
	gone.Store(false)
	if status := boss.consolePost("/.authgate/admin/webhooks/"+id+"/enable", url.Values{"csrf": {csrf}}); status != http.StatusSeeOther {
		t.Fatalf("enable: %d", status)
	}
	if body := page(); strings.Contains(body, "disabled (410 Gone)") {
		t.Fatal("still disabled after enable")
	}
	before := hits.Load()
	if status := boss.consolePost("/.authgate/admin/webhooks/"+id+"/ping", url.Values{"csrf": {csrf}}); status != http.StatusSeeOther {
		t.Fatalf("ping: %d", status)
	}
	for hits.Load() == before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if hits.Load() == before {
		t.Fatal("the ping never reached the receiver")
	}

	status, _, added := boss.do(http.MethodPost, "/.authgate/admin/webhooks/add", http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {boss.base}, "Accept": {"text/html"},
	}, []byte(url.Values{"csrf": {csrf}, "url": {rcv.URL + "/runtime"}, "events": {"logout"}}.Encode()))
	m := addedSecret.FindSubmatch(added)
	if status != http.StatusOK || m == nil || !strings.HasPrefix(string(m[1]), "whsec_") {
		t.Fatalf("add: %d, secret shown: %v", status, m != nil)
	}
	var listed []struct{ ID, URL string }
	if st := g.adminDo(http.MethodGet, "/authgate/webhooks", &listed); st != http.StatusOK || len(listed) != 2 {
		t.Fatalf("the admin API lists %d receivers (%d), want 2", len(listed), st)
	}
	var runtimeID string
	for _, l := range listed {
		if strings.HasSuffix(l.URL, "/runtime") {
			runtimeID = l.ID
		}
	}
	if body := page(); strings.Contains(body, string(m[1])) || !strings.Contains(body, "added at runtime") {
		t.Fatal("the secret is shown again, or the runtime receiver is not marked")
	}
	if status := boss.consolePost("/.authgate/admin/webhooks/"+id+"/remove", url.Values{"csrf": {csrf}}); status != http.StatusNotFound {
		t.Fatalf("removing a Caddyfile receiver: %d, want 404", status)
	}
	if status := boss.consolePost("/.authgate/admin/webhooks/"+runtimeID+"/remove", url.Values{"csrf": {csrf}}); status != http.StatusSeeOther {
		t.Fatalf("remove: %d", status)
	}
	if st := g.adminDo(http.MethodGet, "/authgate/webhooks", &listed); st != http.StatusOK || len(listed) != 1 {
		t.Fatalf("after remove the admin API lists %d receivers, want 1", len(listed))
	}
	got := g.auditList("type=admin.*")
	for len(got) < 4 && time.Now().Before(deadline.Add(stepTimeout)) {
		time.Sleep(20 * time.Millisecond)
		got = g.auditList("type=admin.*")
	}
	if len(got) != 4 || got[0].Type != "admin.webhook_remove" || got[3].Type != "admin.webhook_enable" {
		t.Fatalf("audit of the webhook actions: %v", got)
	}
}
