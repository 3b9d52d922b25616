// Package e2e runs the built Caddy, with the authgate plugin, from a
// Caddyfile against a real upstream, a real redis-server and the Go device
// client, and checks the gateway as a browser, a phone and an upstream
// see it.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/authgate/authgate/internal/testenv"
)

// caddyBin is the binary built once for this test run.
var caddyBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authgate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	caddyBin, err = testenv.BuildCaddy(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
