package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/device/deviceclient"
	"github.com/authgate/authgate/internal/testenv"
)

// TestExampleGateway runs the repository's own Caddyfile, as the README's
// quick start does, enrols a phone with the `caddy authgate enroll`
// command and logs in through it.
func TestExampleGateway(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:2019"} {
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
	b := newBrowser(t, "http://localhost:8080")
	b.login(dev, "alice@example.com")
	status, _, body := b.do(http.MethodGet, "/private?x=1", http.Header{"Accept": {"text/html"}}, nil)
	if status != http.StatusOK || !strings.Contains(string(body), "Hello alice@example.com!") ||
		!strings.Contains(string(body), "X-Authgate-Session: ") {
		t.Fatalf("the example app: %d\n%s", status, body)
	}
}
