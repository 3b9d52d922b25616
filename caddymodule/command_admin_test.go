package caddymodule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/spf13/cobra"
)

// resolveAdmin runs `authgate users args…` with the admin flags in dir
// and returns the admin endpoint it would call, or its error.
func resolveAdmin(t *testing.T, dir string, args ...string) (string, string, error) {
	t.Helper()
	t.Chdir(dir)
	var addr, from string
	var err error
	root := &cobra.Command{Use: "authgate"}
	addAdminFlags(root)
	root.AddCommand(&cobra.Command{Use: "users", RunE: func(c *cobra.Command, _ []string) error {
		admin := adminEndpoint(c)
		addr, err = admin.addr()
		from = admin.from
		return nil
	}})
	root.SetArgs(append([]string{"users"}, args...))
	if runErr := root.Execute(); runErr != nil {
		t.Fatalf("%v: %v", args, runErr)
	}
	return addr, from, err
}

func TestCLIFindsTheAdminEndpointLikeCaddyReload(t *testing.T) {
	withCaddyfile := t.TempDir()
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(withCaddyfile, "Caddyfile"), "{\n\tadmin 127.0.0.1:25019\n}\n")
	other := filepath.Join(t.TempDir(), "other.caddyfile")
	write(other, "{\n\tadmin 127.0.0.1:25020\n}\n")
	plain := filepath.Join(t.TempDir(), "gate.conf")
	write(plain, "{\n\tadmin 127.0.0.1:25021\n}\n")
	bare := filepath.Join(t.TempDir(), "Caddyfile")
	write(bare, ":8080\n")
	empty := t.TempDir()

	for _, tc := range []struct {
		name, dir  string
		args       []string
		addr, from string
	}{
		{"./Caddyfile", withCaddyfile, nil, "127.0.0.1:25019", "from Caddyfile"},
		{"--address wins", withCaddyfile, []string{"--address", "127.0.0.1:25022"}, "127.0.0.1:25022", "from --address"},
		{"--config wins over ./Caddyfile", withCaddyfile, []string{"--config", other}, "127.0.0.1:25020", "from " + other},
		{"-c and -a", empty, []string{"-c", plain, "-a", "caddyfile"}, "127.0.0.1:25021", "from " + plain},
		{"a config without admin", empty, []string{"--config", bare}, caddy.DefaultAdminListen, "the default: " + bare + " sets no admin address"},
		{"no config at all", empty, nil, caddy.DefaultAdminListen, "the default: no --config and no ./Caddyfile"},
	} {
		addr, from, err := resolveAdmin(t, tc.dir, tc.args...)
		if err != nil || addr != tc.addr || from != tc.from {
			t.Errorf("%s: %q (%s) %v, want %q (%s)", tc.name, addr, from, err, tc.addr, tc.from)
		}
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"an adapter without a config": {[]string{"--adapter", "caddyfile"}, "use --config"},
		"a missing config":            {[]string{"--config", filepath.Join(empty, "nope")}, "no such file"},
		"an unknown adapter":          {[]string{"--config", plain, "--adapter", "nope"}, "unrecognized config adapter: nope"},
	} {
		if addr, _, err := resolveAdmin(t, empty, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--address") {
			t.Errorf("%s: %q %v, want an error naming %q", name, addr, err, tc.want)
		}
	}
}
