package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// BuildCaddy builds the module's cmd/caddy into dir and returns the
// binary's path; under the race detector the binary has it too, and a
// race it reports fails the test that ran it. Call it once per test
// binary (from TestMain).
func BuildCaddy(dir string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(dir, "caddy")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/caddy")...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building caddy: %w\n%s", err, out.String())
	}
	return bin, nil
}

// Caddy is a running caddy process owned by one test.
type Caddy struct {
	// Admin is the admin endpoint's base URL.
	Admin string
	// Caddyfile is the path of the Caddyfile it runs.
	Caddyfile string
	cmd       *exec.Cmd
	log       *lockedBuffer
	done      chan struct{}
}

// Log returns everything the process wrote so far.
func (c *Caddy) Log() string { return c.log.String() }

// Kill stops the process at once (SIGKILL), as a crash would.
func (c *Caddy) Kill() {
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// Stop asks the process to shut down, as Ctrl-C or a service manager's
// SIGTERM does, and waits for it to exit. It reports whether the process
// exited within 15 s; one that did not is killed.
func (c *Caddy) Stop() bool {
	if c.cmd.Process == nil {
		return true
	}
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.done:
		return true
	case <-time.After(15 * time.Second):
		c.Kill()
		return false
	}
}

// StartCaddy runs bin with the Caddyfile text (which must set the admin
// endpoint to adminAddr), waits until url answers, and kills the process
// when the test ends. Its storage and config folders are the test's own.
func StartCaddy(t testing.TB, bin, caddyfile, adminAddr, readyURL string) *Caddy {
	t.Helper()
	return StartCaddyWithEnv(t, bin, caddyfile, adminAddr, readyURL, nil)
}

// StartCaddyWithEnv is StartCaddy with extra environment variables
// ("NAME=value") for the process, for configs that read {env.NAME}.
func StartCaddyWithEnv(t testing.TB, bin, caddyfile, adminAddr, readyURL string, env []string) *Caddy {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(caddyfile), 0o600); err != nil {
		t.Fatalf("writing Caddyfile: %v", err)
	}
	cmd := exec.Command(bin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_DATA_HOME="+filepath.Join(dir, "data"), "HOME="+dir)
	cmd.Env = append(cmd.Env, env...)
	c := &Caddy{Admin: "http://" + adminAddr, Caddyfile: path, cmd: cmd, log: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.log, c.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting caddy: %v", err)
	}
	go func() { _ = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		c.Kill()
		if strings.Contains(c.Log(), "WARNING: DATA RACE") {
			t.Errorf("the race detector found a data race in caddy:\n%s", c.Log())
		} else if t.Failed() {
			t.Logf("caddy log:\n%s", tail(c.Log(), 60))
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			t.Fatalf("caddy exited early:\n%s", c.Log())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, readyURL, nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return c
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("caddy did not answer %s within 20 s:\n%s", readyURL, c.Log())
	return nil
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
