package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/push"
	"github.com/authgate/authgate/internal/testenv"
)

// webPushService is the npm package web-push-testing running on loopback:
// a push service (RFC 8030) that is not our code. It hands out
// subscriptions for an applicationServerKey, verifies each message's VAPID
// JWT against that key, decrypts the aes128gcm body with http_ece and
// keeps the plaintext. scripts/test installs it (npm ci in e2e/pushservice).
type webPushService struct {
	tb   testing.TB
	base string // http://localhost:port
	port int
}

// startWebPushService runs web-push-testing on a free port until the test
// ends.
func startWebPushService(tb testing.TB) *webPushService {
	tb.Helper()
	node := testenv.Require(tb, "node")
	server, err := filepath.Abs(filepath.Join("pushservice", "node_modules", "web-push-testing", "src", "bin", "server.js"))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(server); err != nil {
		if testenv.InCI() {
			tb.Fatalf("web-push-testing is not installed: run npm ci in e2e/pushservice (scripts/test does)")
		}
		tb.Skip("web-push-testing is not installed: run npm ci --prefix e2e/pushservice")
	}
	port := testenv.FreePort(tb)
	cmd := exec.Command(node, server, strconv.Itoa(port))
	cmd.Dir = tb.TempDir()
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting web-push-testing: %v", err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	p := &webPushService{tb: tb, base: fmt.Sprintf("http://localhost:%d", port), port: port}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Post(p.base+"/status", "application/json", nil)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("web-push-testing did not start: %v\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *webPushService) post(path string, in, out any) int {
	p.tb.Helper()
	body := []byte("{}")
	if in != nil {
		body, _ = json.Marshal(in)
	}
	resp, err := http.Post(p.base+path, "application/json", bytes.NewReader(body))
	if err != nil {
		p.tb.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && json.Unmarshal(data, out) != nil {
		p.tb.Fatalf("POST %s: %d, body not JSON: %s", path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// subscribe makes a subscription for applicationServerKey, as a browser's
// pushManager.subscribe does, and returns it with the client hash that
// names it at the service.
func (p *webPushService) subscribe(appServerKey string) (push.SubscriptionJSON, string) {
	p.tb.Helper()
	var out struct {
		Data struct {
			push.SubscriptionJSON
			ClientHash string `json:"clientHash"`
		} `json:"data"`
	}
	if st := p.post("/subscribe", map[string]string{"applicationServerKey": appServerKey, "userVisibleOnly": "true"}, &out); st != http.StatusOK {
		p.tb.Fatalf("subscribe: %d", st)
	}
	return out.Data.SubscriptionJSON, out.Data.ClientHash
}

// messages returns the decrypted messages the subscription received.
func (p *webPushService) messages(clientHash string) []string {
	p.tb.Helper()
	var out struct {
		Data struct {
			Messages []string `json:"messages"`
		} `json:"data"`
	}
	if st := p.post("/get-notifications", map[string]string{"clientHash": clientHash}, &out); st != http.StatusOK {
		p.tb.Fatalf("get-notifications: %d", st)
	}
	return out.Data.Messages
}

// waitMessages waits until the subscription holds n messages.
func (p *webPushService) waitMessages(clientHash string, n int) []string {
	p.tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := p.messages(clientHash)
		if len(m) >= n {
			return m
		}
		if time.Now().After(deadline) {
			p.tb.Fatalf("%d push messages arrived, want %d", len(m), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// expire makes the service answer 410 Gone for the subscription.
func (p *webPushService) expire(clientHash string) {
	p.tb.Helper()
	if st := p.post("/expire-subscription/"+clientHash, nil, nil); st != http.StatusOK {
		p.tb.Fatalf("expire-subscription: %d", st)
	}
}
