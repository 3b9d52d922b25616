package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/internal/testenv"
)

// longEmail is over 64 characters: webgate's data.user is cut to 64.
const longEmail = "a.rather.long.mailbox.name.for.sanitising.tests@subdomain.example.com"

// fastAPISecret is the literal WEBHOOK_SECRET of the guide's FastAPI
// handler, which runs unchanged.
const fastAPISecret = "your-webhook-secret"

// TestGuideHandlersTakeTheirBranches runs the guide's Express and FastAPI
// handlers, unchanged, and a webgate receiver as receivers of format
// authgate and webgate deliveries for one approved and one denied login
// of my-app, and a receiver of other-app that must get none of them.
func TestGuideHandlersTakeTheirBranches(t *testing.T) {
	node := requireExpress(t)
	python := pythonWith(t, "fastapi, uvicorn")
	fast, fastPort := startProcess(t, nil, python, "-u", guidePath("run_fastapi.py"))
	webgate, webgatePort := startProcess(t, []string{"WEBHOOK_SECRET=" + testWebhookSecret}, testenv.Require(t, "python3"), "-u", guidePath("webgate_receiver.py"))

	hooks := fmt.Sprintf(`webhook http://127.0.0.1:%s/api/authgate/callback {
			secret %s
			format authgate
			app my-app
		}
		webhook http://127.0.0.1:%s/wh {
			secret %s
			format webgate
			app my-app
			events login login_failed
		}`, fastPort, fastAPISecret, webgatePort, testWebhookSecret)
	g := startStandalone(t, storeLine(""), nil, hooks)

	// Express: registered as the guide says, with my-app's key.
	expressPort := testenv.FreePort(t)
	var reg struct{ Secret string }
	status, _ := apiCall(t, http.MethodPost, g.base+"/api/webhooks", http.Header{"Authorization": {"Bearer " + myAppSecret}},
		fmt.Sprintf(`{"app_id": "my-app", "url": "http://127.0.0.1:%d/api/authgate/callback"}`, expressPort), &reg)
	if status != http.StatusCreated {
		t.Fatalf("registering the Express handler: %d", status)
	}
	express, _ := startProcess(t, []string{"WEBHOOK_SECRET=" + reg.Secret, fmt.Sprintf("PORT=%d", expressPort)}, node, guidePath("run_express.js"))

	// other-app's receiver, registered with other-app's key.
	other := newRecorder(t)
	var otherReg struct{ Secret string }
	if status, _ := apiCall(t, http.MethodPost, g.base+"/api/webhooks", http.Header{"Authorization": {"Bearer " + otherAppSecret}},
		`{"app_id": "other-app", "url": "`+other.URL+`"}`, &otherReg); status != http.StatusCreated {
		t.Fatalf("registering other-app's receiver: %d", status)
	}

	dev := g.enroll(longEmail)
	token := apiLogin(t, g, dev, "my-app", longEmail, "approve")
	apiLogin(t, g, dev, "my-app", longEmail, "deny")
	olga := g.enroll("olga@example.com")
	apiLogin(t, g, olga, "other-app", "olga@example.com", "approve")

	express.waitLine("Auth approved: " + longEmail + " via " + dev.DeviceID)
	express.waitLine("Auth denied: " + longEmail)
	fast.waitLine("Approved: " + longEmail + " via " + dev.DeviceID)
	fast.waitLine("Denied: " + longEmail)
	user := longEmail[:64]
	webgate.waitLine("user_login " + user + " webgate-webhook/1.0")
	webgate.waitLine("user_login_failed " + user + " webgate-webhook/1.0")
	if token == "" {
		t.Fatal("no token")
	}

	// other-app's receiver gets other-app's login, and nothing of my-app.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && len(other.bodies()) < 1 {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a stray my-app delivery would be in by now
	for _, b := range other.bodies() {
		if b.AppID != "other-app" || b.Email == longEmail {
			t.Fatalf("other-app's receiver got %+v", b)
		}
	}
	if got := other.bodies(); len(got) == 0 || got[len(got)-1].Event != "approved" {
		t.Fatalf("other-app's receiver got %+v, want its approved login", got)
	}
	for _, p := range []*process{express, fast} {
		for _, l := range p.output() {
			if strings.Contains(l, "olga@example.com") {
				t.Fatalf("%s, a receiver of my-app, got other-app's event: %q", p.name, l)
			}
		}
	}
	for _, l := range append(express.output(), fast.output()...) {
		if strings.Contains(l, "Invalid signature") {
			t.Fatalf("a guide handler refused a delivery: %q", l)
		}
	}
	t.Logf("Express printed %q; FastAPI printed %q; the webgate receiver printed %q", express.output(), fast.output(), webgate.output())
	if !other.verified(otherReg.Secret) {
		t.Fatal("other-app's deliveries do not verify with its secret")
	}
}

// flatBody is the part of a format authgate body the tests read.
type flatBody struct {
	Event, AppID, Email string
	raw                 []byte
	header              http.Header
}

// recorder is a receiver that keeps what it is sent.
type recorder struct {
	*httptest.Server
	mu  sync.Mutex
	got []flatBody
}

func newRecorder(t *testing.T) *recorder {
	rc := &recorder{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var b struct {
			Event string `json:"event"`
			AppID string `json:"app_id"`
			Email string `json:"email"`
		}
		_ = json.Unmarshal(raw, &b)
		rc.mu.Lock()
		rc.got = append(rc.got, flatBody{Event: b.Event, AppID: b.AppID, Email: b.Email, raw: raw, header: r.Header.Clone()})
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *recorder) bodies() []flatBody {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]flatBody(nil), rc.got...)
}

// verified reports whether every delivery carries the guide's headers
// and a signature made with secret.
func (rc *recorder) verified(secret string) bool {
	for _, b := range rc.bodies() {
		h := b.header
		if h.Get("X-AuthGate-Signature") != "sha256="+webhook.HexSignature(secret, b.raw) ||
			h.Get("User-Agent") != "AuthGate/1.0" || h.Get("X-AuthGate-Event") != b.Event ||
			!strings.HasPrefix(h.Get("X-AuthGate-Delivery"), "wh_") || h.Get("webhook-signature") == "" {
			return false
		}
	}
	return true
}

// TestAdminAPIReceiverOfAnAppGetsOnlyItsEvents registers two receivers
// through Caddy's admin API on a protected site: the one of app e2e gets
// its login, the one of another app nothing but its own ping.
func TestAdminAPIReceiverOfAnAppGetsOnlyItsEvents(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	mine, others := newRecorder(t), newRecorder(t)
	var otherID struct{ ID string }
	for _, r := range []struct {
		app string
		rc  *recorder
		out any
	}{{"e2e", mine, nil}, {"other", others, &otherID}} {
		if status := postJSON(t, g.caddy.Admin+"/authgate/webhooks", map[string]string{"app_id": r.app, "url": r.rc.URL}, r.out); status != http.StatusCreated {
			t.Fatalf("adding the receiver of %s: %d", r.app, status)
		}
	}
	dev := g.enroll("hank@example.com")
	newBrowser(t, g.base).login(dev, "hank@example.com")
	if status := postJSON(t, g.caddy.Admin+"/authgate/webhooks/"+otherID.ID+"/ping", nil, nil); status != http.StatusOK {
		t.Fatalf("ping: %d", status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && (len(mine.bodies()) < 2 || len(others.bodies()) < 1) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	var types []string
	for _, b := range mine.bodies() {
		types = append(types, b.Event)
	}
	if strings.Join(types, ",") != "login_requested,login" && strings.Join(types, ",") != "login,login_requested" {
		t.Fatalf("the receiver of e2e got %v, want its login_requested and login (no device_enrolled: it is no app's)", types)
	}
	if got := others.bodies(); len(got) != 1 || got[0].Event != "ping" {
		t.Fatalf("the receiver of another app got %+v, want its ping alone", got)
	}
}
