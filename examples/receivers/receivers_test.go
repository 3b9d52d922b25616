package receivers_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/internal/testenv"
)

// start runs a receiver on a free port and returns its base URL; it is
// killed when the test ends.
func start(t *testing.T, secret, program string, args ...string) string {
	t.Helper()
	return startEnv(t, []string{"WEBHOOK_SECRET=" + secret}, program, args...)
}

// startEnv is start with env (WEBHOOK_SECRET and any other) set.
func startEnv(t *testing.T, env []string, program string, args ...string) string {
	t.Helper()
	cmd := exec.Command(program, args...)
	cmd.Env = append(append(os.Environ(), env...), "PORT=0")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", program, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(l)
	}()
	select {
	case l := <-line:
		url, ok := strings.CutPrefix(l, "listening on ")
		if !ok {
			t.Fatalf("%s printed %q, want its address", program, l)
		}
		return url
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start", program)
	}
	return ""
}

// send posts body with h and returns the status.
func send(t *testing.T, url string, h http.Header, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitDelivered waits until every delivery of eventID is delivered and
// returns the receiver's last answer.
func waitDelivered(t *testing.T, d *webhook.Dispatcher, eventID string, attempts int) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if recs := d.Event(eventID); len(recs) == 1 && len(recs[0].Attempts) == attempts {
			a := recs[0].Attempts[attempts-1]
			if a.Status != http.StatusOK {
				t.Fatalf("attempt %d: status %d (%s)", attempts, a.Status, a.Error)
			}
			return a.Response
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s not delivered %d times", eventID, attempts)
	return ""
}

// exampleReceiver is one of the sample receivers, in its language.
type exampleReceiver struct {
	name    string
	program func(t *testing.T) string // the program to run, found or built
	args    []string
}

// exampleReceivers builds the Go receiver and returns the three.
func exampleReceivers(t *testing.T) []exampleReceiver {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "receiver")
	goBin := testenv.Require(t, "go")
	if out, err := exec.Command(goBin, "build", "-o", bin, "./go").CombinedOutput(); err != nil {
		t.Fatalf("building the Go receiver: %v\n%s", err, out)
	}
	required := func(name string) func(t *testing.T) string {
		return func(t *testing.T) string { return testenv.Require(t, name) }
	}
	return []exampleReceiver{
		{"go", func(*testing.T) string { return bin }, nil},
		{"node", required("node"), []string{"node/receiver.js"}},
		{"python", required("python3"), []string{"python/receiver.py"}},
	}
}

func TestExampleReceiversAcceptRefuseAndDeduplicate(t *testing.T) {
	for _, r := range exampleReceivers(t) {
		t.Run(r.name, func(t *testing.T) {
			program := r.program(t)
			for _, secret := range []string{webhook.GenerateSecret(), "a-plain-secret"} {
				url := start(t, secret, program, r.args...)
				ep := webhook.Endpoint{ID: "example", URL: url, Secret: secret}
				d, err := webhook.New(webhook.Config{Endpoints: []webhook.Endpoint{ep}})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { _ = d.Run(ctx); close(done) }()

				e := event.New(event.Login, map[string]any{"email": "alice@example.com", "ua": "Mozilla/5.0 🦊 <b>"})
				d.Emit(ctx, e)
				if got := waitDelivered(t, d, e.ID, 1); strings.Contains(got, "duplicate") || !strings.Contains(got, "received") {
					t.Fatalf("first delivery answered %q", got)
				}
				if _, err := d.Replay(ctx, e.ID); err != nil {
					t.Fatal(err)
				}
				if got := waitDelivered(t, d, e.ID, 2); !strings.Contains(got, "duplicate") {
					t.Fatalf("duplicate delivery answered %q, want it ignored", got)
				}
				cancel()
				<-done

				body, _ := webhook.Encode(event.New(event.Logout, map[string]any{"email": "bob@example.com"}))
				h, _ := webhook.SignHeaders(ep, "evt_tamper", event.Logout, body, time.Now())
				tampered := []byte(strings.Replace(string(body), "bob", "eve", 1))
				if s := send(t, url, h.Clone(), tampered); s != http.StatusUnauthorized {
					t.Fatalf("tampered body: status %d, want 401", s)
				}
				stale, _ := webhook.SignHeaders(ep, "evt_stale", event.Logout, body, time.Now().Add(-6*time.Minute))
				if s := send(t, url, stale, body); s != http.StatusUnauthorized {
					t.Fatalf("six-minute-old delivery: status %d, want 401", s)
				}
				noHex := h.Clone()
				noHex.Del(webhook.HeaderSignature)
				if s := send(t, url, noHex, body); s != http.StatusUnauthorized {
					t.Fatalf("delivery without the hex signature: status %d, want 401", s)
				}
				if s := send(t, url, h, body); s != http.StatusOK {
					t.Fatalf("genuine hand-signed delivery: status %d", s)
				}
			}
		})
	}
}

// TestExampleReceiversTakeEitherSecretDuringARotation: a receiver given
// the new secret and, as WEBHOOK_PREVIOUS_SECRET, the old one accepts
// deliveries signed by the old secret alone (the gate not switched yet)
// and by the new one with the old as previous_secret (switched), so a
// rotation refuses nothing; a third secret is still refused.
func TestExampleReceiversTakeEitherSecretDuringARotation(t *testing.T) {
	for _, r := range exampleReceivers(t) {
		t.Run(r.name, func(t *testing.T) {
			program := r.program(t)
			old, next := webhook.GenerateSecret(), "a-plain-new-secret"
			url := startEnv(t, []string{"WEBHOOK_SECRET=" + next, "WEBHOOK_PREVIOUS_SECRET=" + old}, program, r.args...)
			body, _ := webhook.Encode(event.New(event.Logout, map[string]any{"email": "bob@example.com"}))
			for i, ep := range []webhook.Endpoint{
				{ID: "before", URL: url, Secret: old},
				{ID: "during", URL: url, Secret: next, PreviousSecret: old},
				{ID: "after", URL: url, Secret: next},
			} {
				h, err := webhook.SignHeaders(ep, fmt.Sprintf("evt_rotation_%d", i), event.Logout, body, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if s := send(t, url, h, body); s != http.StatusOK {
					t.Errorf("delivery signed %s the gate's switch: status %d, want 200", ep.ID, s)
				}
			}
			other := webhook.Endpoint{ID: "other", URL: url, Secret: webhook.GenerateSecret()}
			h, _ := webhook.SignHeaders(other, "evt_rotation_other", event.Logout, body, time.Now())
			if s := send(t, url, h, body); s != http.StatusUnauthorized {
				t.Errorf("delivery signed by an unknown secret: status %d, want 401", s)
			}
		})
	}
}
