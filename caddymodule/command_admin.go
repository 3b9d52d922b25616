package caddymodule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// addAdminFlags gives cmd and its subcommands the flags `caddy reload`
// and `caddy stop` take to find the admin endpoint.
func addAdminFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringP("config", "c", "", "the config file to read the admin address from (default: ./Caddyfile if there is one)")
	f.StringP("adapter", "a", "", "the name of the config adapter for --config")
	f.String("address", "", "the admin endpoint, if different from the config's")
}

// adminTarget is where a command finds the running Caddy's admin
// endpoint: the --address, --config and --adapter flags, read once, when
// the first request is sent.
type adminTarget struct {
	address, config, adapter string

	once     sync.Once
	resolved string
	from     string // where resolved came from, for errors
	err      error
}

// adminEndpoint returns the admin endpoint that cmd's flags name.
func adminEndpoint(cmd *cobra.Command) *adminTarget {
	f := cmd.Flags()
	t := &adminTarget{}
	t.address, _ = f.GetString("address")
	t.config, _ = f.GetString("config")
	t.adapter, _ = f.GetString("adapter")
	return t
}

// addr returns the admin endpoint's address as `caddy reload` finds it:
// --address if set; else the admin address of the config file (--config
// with --adapter, or ./Caddyfile when there is one); else the default,
// CADDY_ADMIN or localhost:2019.
func (t *adminTarget) addr() (string, error) {
	t.once.Do(func() {
		if t.address != "" {
			t.resolved, t.from = t.address, "from --address"
			return
		}
		config, file, _, err := caddycmd.LoadConfig(t.config, t.adapter)
		if err != nil {
			t.err = fmt.Errorf("finding the admin endpoint: %w (or name it with --address)", err)
			return
		}
		t.resolved, err = caddycmd.DetermineAdminAPIAddress("", config, file, t.adapter)
		switch {
		case err != nil:
			t.err = fmt.Errorf("finding the admin endpoint in %s: %w", file, err)
		case file == "":
			t.from = "the default: no --config and no ./Caddyfile"
		case t.resolved == caddy.DefaultAdminListen:
			t.from = "the default: " + file + " sets no admin address"
		default:
			t.from = "from " + file
		}
	})
	return t.resolved, t.err
}

// adminCall sends one request to the running Caddy's admin API and
// decodes its JSON answer into out (if not nil).
func adminCall(admin *adminTarget, method, path string, in, out any) error {
	addr, err := admin.addr()
	if err != nil {
		return err
	}
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	resp, err := caddycmd.AdminAPIRequest(addr, method, path, http.Header{"Content-Type": {"application/json"}}, body)
	if err != nil {
		return explainAdminError(addr+" ("+admin.from+")", err)
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("reading the answer of %s %s: %w", method, path, err)
	}
	return nil
}
