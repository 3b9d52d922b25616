package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/authgate/authgate/internal/testenv"
)

const testWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// receiver is a webhook receiver that verifies both signature schemes and
// counts events by webhook-id.
type receiver struct {
	*httptest.Server
	t      *testing.T
	wh     *standardwebhooks.Webhook
	delay  time.Duration
	mu     sync.Mutex
	byID   map[string]int
	events []map[string]any
	bad    atomic.Int32
}

func newReceiver(t *testing.T, delay time.Duration) *receiver {
	wh, err := standardwebhooks.NewWebhook(testWebhookSecret)
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{t: t, wh: wh, delay: delay, byID: map[string]int{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, []byte(testWebhookSecret))
	mac.Write(body)
	hexOK := r.Header.Get("X-Authgate-Signature") == "sha256="+hex.EncodeToString(mac.Sum(nil))
	if !hexOK || rc.wh.Verify(body, r.Header) != nil {
		rc.bad.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var env map[string]any
	_ = json.Unmarshal(body, &env)
	rc.mu.Lock()
	rc.byID[r.Header.Get("webhook-id")]++
	rc.events = append(rc.events, env)
	rc.mu.Unlock()
	if rc.delay > 0 {
		time.Sleep(rc.delay)
	}
	w.WriteHeader(http.StatusNoContent)
}

// types returns the event types received so far, in order.
func (rc *receiver) types() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, e := range rc.events {
		out = append(out, fmt.Sprint(e["event"]))
	}
	return out
}

func (rc *receiver) distinct() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.byID)
}

func webhookBlock(url string, extra string) string {
	return fmt.Sprintf("webhook %s {\n\t\t\tsecret %s\n\t\t\t%s\n\t\t}", url, testWebhookSecret, extra)
}

func TestLoginEventsAreDeliveredSigned(t *testing.T) {
	forEachStore(t, func(t *testing.T, storeOpt string) {
		rc := newReceiver(t, 0)
		g := startGate(t, storeOpt, newUpstream(t), webhookBlock(rc.URL, "events *"))
		dev := g.enroll("hank@example.com")
		b := newBrowser(t, g.base)
		b.login(dev, "hank@example.com")
		deadline := time.Now().Add(10 * time.Second)
		// A first phone comes with recovery codes, and says so.
		want := []string{"device_enrolled", "recovery_codes_issued", "login_requested", "login"}
		for time.Now().Before(deadline) && len(rc.types()) < len(want) {
			time.Sleep(20 * time.Millisecond)
		}
		// Workers deliver concurrently: order among events is not kept.
		got := rc.types()
		slices.Sort(got)
		slices.Sort(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("events received %v, want %v", got, want)
		}
		if rc.bad.Load() != 0 {
			t.Fatalf("%d deliveries failed verification", rc.bad.Load())
		}
		var login map[string]any
		rc.mu.Lock()
		for _, e := range rc.events {
			if e["event"] == "login" {
				login = e["data"].(map[string]any)
			}
		}
		rc.mu.Unlock()
		if login["email"] != "hank@example.com" || login["app_id"] != "e2e" || login["device_id"] == "" {
			t.Fatalf("login event data %v", login)
		}
		resp, err := http.Get(g.caddy.Admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics := string(readAll(resp))
		for _, want := range []string{
			`authgate_logins_total{result="approved"} 1`,
			`authgate_pushes_total 1`,
			`authgate_decision_seconds_count 1`,
			`authgate_webhook_deliveries_total{endpoint="`,
			`authgate_webhook_outbox_depth `,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}

func TestBlockingHookRefusesLogin(t *testing.T) {
	var asked atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		var env struct {
			Event string         `json:"event"`
			Data  map[string]any `json:"data"`
		}
		_ = json.NewDecoder(r.Body).Decode(&env)
		allowed := env.Event == "pre_login" && env.Data["email"] != "ivan@example.com"
		_ = json.NewEncoder(w).Encode(map[string]any{"is_allowed": allowed, "reason": "ivan is on leave"})
	}))
	defer hook.Close()
	g := startGate(t, storeLine(""), newUpstream(t), webhookBlock(hook.URL, "blocking"))
	b := newBrowser(t, g.base)
	body := []byte(`{"email":"ivan@example.com"}`)
	status, _, data := b.do(http.MethodPost, "/.authgate/auth/start", http.Header{"Content-Type": {"application/json"}}, body)
	if status != http.StatusForbidden || !strings.Contains(string(data), "ivan is on leave") {
		t.Fatalf("start refused by the hook: %d %s", status, data)
	}
	b.start("judy@example.com")
	if asked.Load() != 2 {
		t.Fatalf("hook asked %d times, want 2", asked.Load())
	}
}

// TestQueuedEventsSurviveAKilledInstance queues 10,000 events through a
// Caddy with the Redis store, kills it with SIGKILL while they are queued
// or in flight, starts it again and checks every event arrives.
func TestQueuedEventsSurviveAKilledInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("long: 10,000 events")
	}
	const total = 10000
	r := testenv.StartRedis(t)
	rc := newReceiver(t, time.Millisecond)
	extra := webhookBlock(rc.URL, "events ping") + "\n\t\twebhook_claim_timeout 2s\n\t\twebhook_schedule 0s 1s 2s 5s"
	first := startGate(t, storeLine(r.URL(0)), newUpstream(t), extra)

	resp, err := http.Get(first.caddy.Admin + "/authgate/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	var eps []struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&eps); err != nil || len(eps) != 1 {
		t.Fatalf("webhooks listed: %v %v", eps, err)
	}
	resp.Body.Close()

	var sent sync.Map
	var wg sync.WaitGroup
	var next atomic.Int32
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= total {
				resp, err := http.Post(first.caddy.Admin+"/authgate/webhooks/"+eps[0].ID+"/ping", "application/json", nil)
				if err != nil {
					t.Errorf("ping: %v", err)
					return
				}
				var out struct {
					EventID string `json:"event_id"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if out.EventID == "" {
					t.Errorf("ping answered %d without an event id", resp.StatusCode)
					return
				}
				sent.Store(out.EventID, true)
			}
		}()
	}
	wg.Wait()
	before := rc.distinct()
	first.caddy.Kill()
	t.Logf("killed with %d of %d events received", before, total)
	if before >= total {
		t.Fatalf("all events were delivered before the kill; the test proves nothing")
	}

	startGate(t, storeLine(r.URL(0)), newUpstream(t), extra)
	deadline := time.Now().Add(3 * time.Minute)
	for rc.distinct() < total && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	missing := 0
	sent.Range(func(k, _ any) bool {
		rc.mu.Lock()
		n := rc.byID[k.(string)]
		rc.mu.Unlock()
		if n == 0 {
			missing++
		}
		return true
	})
	rc.mu.Lock()
	dups := 0
	for _, n := range rc.byID {
		if n > 1 {
			dups++
		}
	}
	rc.mu.Unlock()
	t.Logf("after restart: %d distinct events received, %d delivered more than once, %d missing", rc.distinct(), dups, missing)
	if missing != 0 {
		t.Fatalf("%d events were lost", missing)
	}
}

// postJSON posts v and decodes the answer into out.
func postJSON(t *testing.T, url string, v, out any) int {
	t.Helper()
	body, _ := json.Marshal(v)
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func TestWebhooksAddedThroughTheAdminAPI(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	var got struct {
		ID, URL, Secret string
	}
	calls := make(chan http.Header, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls <- r.Header.Clone() }))
	defer recv.Close()
	if status := postJSON(t, g.caddy.Admin+"/authgate/webhooks", map[string]string{"app_id": "e2e", "url": recv.URL}, &got); status != http.StatusCreated || !strings.HasPrefix(got.Secret, "whsec_") {
		t.Fatalf("adding a webhook: %d %+v", status, got)
	}
	if status := postJSON(t, g.caddy.Admin+"/authgate/webhooks/"+got.ID+"/ping", nil, nil); status != http.StatusOK {
		t.Fatalf("ping: %d", status)
	}
	select {
	case h := <-calls:
		if h.Get("X-Authgate-Event") != "ping" {
			t.Fatalf("delivery headers %v", h)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the added webhook received nothing")
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodDelete, g.caddy.Admin+"/authgate/webhooks/"+got.ID, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("removing: %v %v", resp, err)
	}
	resp.Body.Close()
}
