package main

import (
	"fmt"
	"strings"
)

// sessionCookie is the name of authgate's session cookie over plain HTTP.
const sessionCookie = "authgate_session"

// benchEmail is the user the minted session cookie names.
const benchEmail = "alice@example.com"

// setup is one site of the Caddy under test, and how to load it.
type setup struct {
	// key names the setup in tables and flags.
	key string
	// title says what the site does, for the results.
	title string
	// port is the site's loopback port.
	port int
	// path is the request path the load generator asks for.
	path string
	// site is the Caddyfile site body (inside the braces).
	site string
	// wantBody is the upstream answer a request with the cookie must get.
	wantBody string
	// refusePath, if set, is a path that a request without the cookie
	// must be refused on (401): proof that the gate is really there.
	refusePath string
	// withAuthService says that the auth service's CPU time counts too.
	withAuthService bool
}

// url is the address the load generator asks for.
func (s setup) url() string { return "http://" + loopback(s.port) + s.path }

// setupPlain is the baseline every other setup is compared to.
const setupPlain = "plain"

// setupNoop is the second baseline: a middleware that does nothing, in
// front of the same proxy. What a setup costs over it is the handler's
// own work, without what Caddy charges any middleware.
const setupNoop = "noop"

// setupCount is how many sites newSetups returns.
const setupCount = 5

// newSetups returns the sites, in table order, on the given ports.
// The authgate sites allow example.com; the forward_auth site copies
// Remote-Email back from the auth service.
func newSetups(ports [setupCount]int, upstreamAddr, authAddr string) []setup {
	proxy := "\treverse_proxy " + upstreamAddr + "\n"
	gate := func(extra string) string {
		return "\tauthgate {\n\t\tapp_id bench\n\t\tallow domain example.com\n" + extra + "\t}\n"
	}
	return []setup{
		{
			key: setupPlain, title: "plain reverse_proxy",
			port: ports[0], path: "/app", site: proxy, wantBody: "hello ",
		},
		{
			key: setupNoop, title: "a no-op middleware (`bench_noop`, calls the next handler) + reverse_proxy",
			port: ports[4], path: "/app", site: "\tbench_noop\n" + proxy, wantBody: "hello ",
		},
		{
			key: "authgate", title: "authgate + reverse_proxy, valid session cookie",
			port: ports[1], path: "/app", site: gate("") + proxy,
			wantBody: "hello " + benchEmail, refusePath: "/app",
		},
		{
			key: "authgate-public", title: "authgate with `public /public/`, request to /public/x (through the handler, no login)",
			port: ports[2], path: "/public/x", site: gate("\t\tpublic /public/\n") + proxy, wantBody: "hello ", refusePath: "/admin/x",
		},
		{
			key: "forward_auth", title: "forward_auth to a caching JWT auth service + reverse_proxy",
			port: ports[3], path: "/app",
			site:     "\tforward_auth " + authAddr + " {\n\t\turi /verify\n\t\tcopy_headers Remote-Email\n\t}\n" + proxy,
			wantBody: "hello " + benchEmail, refusePath: "/app", withAuthService: true,
		},
	}
}

// caddyfile returns the whole Caddyfile: the admin endpoint, the authgate
// app with a memory store and the given signing key, and one site per
// setup, each bound to loopback.
func caddyfile(adminAddr, signingKey string, setups []setup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{\n\tadmin %s\n\tauto_https off\n\tpersist_config off\n\tauthgate {\n\t\tstore memory\n\t\tsigning_key %s\n\t}\n}\n", adminAddr, signingKey)
	for _, s := range setups {
		fmt.Fprintf(&b, "\n# %s: %s\n:%d {\n\tbind 127.0.0.1\n%s}\n", s.key, s.title, s.port, s.site)
	}
	return b.String()
}
