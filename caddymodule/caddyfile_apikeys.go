package caddymodule

import (
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/authgate/authgate/gate/apikey"
)

// unmarshalAPIKeyRate reads `api_key_rate <requests> <per_duration>`,
// e.g. `api_key_rate 100 1m`.
func (a *App) unmarshalAPIKeyRate(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	if len(args) != 2 {
		return d.Errf("api_key_rate: want <requests> <per_duration>, e.g. 'api_key_rate 100 1m'")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n <= 0 {
		return d.Errf("api_key_rate: %q is not a positive whole number", args[0])
	}
	w, err := caddy.ParseDuration(args[1])
	if err != nil || w <= 0 {
		return d.Errf("api_key_rate: %q is not a positive duration", args[1])
	}
	a.APIKeyRate, a.APIKeyRateWindow = n, caddy.Duration(w)
	return nil
}

// unmarshalAPIKeyRecheck reads `api_key_recheck <duration>`, at most
// apikey.MaxCacheTTL.
func (a *App) unmarshalAPIKeyRecheck(d *caddyfile.Dispenser) error {
	if err := durationArg(d, &a.APIKeyRecheck); err != nil {
		return err
	}
	if time.Duration(a.APIKeyRecheck) > apikey.MaxCacheTTL {
		return d.Errf("api_key_recheck: at most %s", apikey.MaxCacheTTL)
	}
	return nil
}
