package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runCLIIn runs `caddy authgate args…` in dir with the extra environment
// variables env and without --address, so it finds the admin endpoint as
// an operator's shell would.
func runCLIIn(t testing.TB, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(caddyBin, append([]string{"authgate"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin"}, env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running caddy authgate %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// TestCLIFindsTheAdminEndpointLikeCaddyReload: run beside the Caddyfile
// of a Caddy whose admin endpoint is not localhost:2019, every command
// reaches that Caddy, as `caddy reload` would; --config and --adapter name
// another file; --address wins over both; CADDY_ADMIN is the default when
// no config names an address, not an override of the config's.
func TestCLIFindsTheAdminEndpointLikeCaddyReload(t *testing.T) {
	g := startGate(t, storeLine(""), newUpstream(t), "")
	g.enroll("alice@example.com")
	admin := strings.TrimPrefix(g.caddy.Admin, "http://")
	beside := filepath.Dir(g.caddy.Caddyfile)
	elsewhere := t.TempDir()
	conf := filepath.Join(t.TempDir(), "gate.conf")
	if err := os.WriteFile(conf, []byte("{\n\tadmin "+admin+"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	if out, errOut, code := runCLIIn(t, beside, nil, "users"); code != 0 || !strings.Contains(out, "alice@example.com") {
		t.Errorf("users beside the Caddyfile (exit %d): %s %s", code, out, errOut)
	}
	if out, errOut, code := runCLIIn(t, beside, []string{"CADDY_ADMIN=127.0.0.1:1"}, "webhooks", "list"); code != 0 || !strings.Contains(out, "No webhook receiver") {
		t.Errorf("webhooks list beside the Caddyfile, with CADDY_ADMIN elsewhere (exit %d): %s %s", code, out, errOut)
	}
	if out, errOut, code := runCLIIn(t, elsewhere, nil, "status", "--config", g.caddy.Caddyfile); code != 0 || !strings.Contains(out, "healthy") {
		t.Errorf("status --config (exit %d): %s %s", code, out, errOut)
	}
	if out, errOut, code := runCLIIn(t, elsewhere, nil, "devices", "alice@example.com", "-c", conf, "-a", "caddyfile"); code != 0 || !strings.Contains(out, "Test phone") {
		t.Errorf("devices -c -a (exit %d): %s %s", code, out, errOut)
	}
	if out, errOut, code := runCLIIn(t, elsewhere, []string{"CADDY_ADMIN=" + admin}, "users", "--json"); code != 0 || !strings.Contains(out, `"alice@example.com"`) {
		t.Errorf("users with CADDY_ADMIN and no Caddyfile (exit %d): %s %s", code, out, errOut)
	}
	_, errOut, code := runCLIIn(t, beside, nil, "users", "--address", "127.0.0.1:1")
	if code == 0 || !strings.Contains(errOut, "cannot reach Caddy's admin endpoint 127.0.0.1:1 (from --address)") {
		t.Errorf("users --address beside the Caddyfile (exit %d): %s", code, errOut)
	}
	_, errOut, code = runCLIIn(t, elsewhere, []string{"CADDY_ADMIN=127.0.0.1:1"}, "users")
	if code == 0 || !strings.Contains(errOut, "cannot reach Caddy's admin endpoint 127.0.0.1:1 (the default: no --config and no ./Caddyfile)") {
		t.Errorf("users with no Caddyfile (exit %d): %s", code, errOut)
	}
}
