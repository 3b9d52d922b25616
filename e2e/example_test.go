package e2e

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/internal/testenv"
)

// TestExampleGateway runs the repository's own Caddyfile, as the README's
// quick start does, enrols a phone with the `caddy authgate enroll`
// command and logs in through it.
func TestExampleGateway(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:2019", "127.0.0.1:9000"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the example gateway needs %s, which is in use: %v", addr, err)
		}
		l.Close()
	}
	text, err := os.ReadFile(filepath.Join("..", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	c := testenv.StartCaddy(t, caddyBin, string(text), "localhost:2019", "http://localhost:8080/.authgate/healthz")

	home := t.TempDir()
	cmd := exec.Command(caddyBin, "authgate", "enroll", "alice@example.com")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("caddy authgate enroll: %v\n%s\n%s", err, out, c.Log())
	}
	link := regexp.MustCompile(`http://localhost:8080/\.authgate/app#enroll=\S+`).FindString(string(out))
	if link == "" {
		t.Fatalf("no enrolment link in the command's output:\n%s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dev, err := deviceclient.Enroll(ctx, http.DefaultClient, link, "Example phone")
	if err != nil {
		t.Fatal(err)
	}
	receiverLog := startExampleReceiver(t, string(text))
	b := newBrowser(t, "http://localhost:8080")
	b.login(dev, "alice@example.com")
	status, _, body := b.do(http.MethodGet, "/private?x=1", http.Header{"Accept": {"text/html"}}, nil)
	if status != http.StatusOK || !strings.Contains(string(body), "Hello alice@example.com!") ||
		!strings.Contains(string(body), "X-Authgate-Session: ") {
		t.Fatalf("the example app: %d\n%s", status, body)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(receiverLog.String(), "event login ") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(receiverLog.String(), "event login ") {
		t.Fatalf("the example receiver did not accept the login event:\n%s", receiverLog.String())
	}
}

// startExampleReceiver builds and runs the Go example receiver with the
// secret and port the example Caddyfile uses.
func startExampleReceiver(t *testing.T, caddyfile string) *syncBuffer {
	t.Helper()
	secret := regexp.MustCompile(`secret (whsec_\S+)`).FindStringSubmatch(caddyfile)
	if secret == nil || !strings.Contains(caddyfile, "webhook http://127.0.0.1:9000/") {
		t.Fatal("the example Caddyfile no longer sends webhooks to 127.0.0.1:9000 with a whsec_ secret")
	}
	bin := filepath.Join(t.TempDir(), "receiver")
	if out, err := exec.Command("go", "build", "-o", bin, "../examples/receivers/go").CombinedOutput(); err != nil {
		t.Fatalf("building the example receiver: %v\n%s", err, out)
	}
	log := &syncBuffer{}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+secret[1], "PORT=9000")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return log
}

// syncBuffer is a bytes.Buffer safe for a process's output and a test's
// reads at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
