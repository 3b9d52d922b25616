// Package authgate registers the authgate Caddy modules (the http.handlers.authgate
// handler, the authgate app, its admin API routes and the `caddy authgate`
// commands) when it is imported, so that
//
//	xcaddy build --with github.com/authgate/authgate
//
// builds a Caddy with authgate in it, as with other Caddy plugins. The
// modules themselves live in package caddymodule; the product is under gate/.
package authgate

import (
	// Registers the modules, the Caddyfile directive and global option,
	// and the commands.
	_ "github.com/authgate/authgate/caddymodule"
)
