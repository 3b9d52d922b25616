package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// unmarshalLockout reads `lockout <attempts> <duration>`: after that many
// refused logins in a row, new pushes for the user stop for the duration.
func (a *App) unmarshalLockout(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	if len(args) != 2 {
		return d.Errf("lockout: want '<attempts> <duration>', e.g. 'lockout 5 15m'")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 || n > 1000 {
		return d.Errf("lockout: %q is not a number of attempts from 1 to 1000", args[0])
	}
	dur, err := caddy.ParseDuration(args[1])
	if err != nil || dur <= 0 {
		return d.Errf("lockout: %q is not a positive duration", args[1])
	}
	a.LockoutAttempts, a.LockoutDuration = n, caddy.Duration(dur)
	return nil
}
