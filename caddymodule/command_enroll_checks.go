package caddymodule

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The checks `caddy authgate enroll` makes of the link it prints: a
// phone can enrol only over HTTPS (or on localhost), and only on a host
// this Caddy serves.

// checkBase returns --base as it will be used, and warnings: a base
// without a scheme is taken as https://.
func checkBase(base string) (string, []string) {
	if base == "" || strings.Contains(base, "://") {
		return base, nil
	}
	return "https://" + base, []string{"--base " + base + " has no scheme; using https://" + base +
		" (write the scheme, e.g. --base https://" + base + ")"}
}

// linkWarnings warns of a link a phone cannot enrol with: http:// on a
// host other than localhost (WebCrypto works only on HTTPS there).
func linkWarnings(link string) []string {
	u, err := url.Parse(link)
	if err != nil {
		return []string{"the link does not parse as a URL: " + err.Error()}
	}
	if u.Scheme == "http" && !isLocalhost(u.Hostname()) {
		return []string{"the link is http:// on " + u.Hostname() +
			": phones make their key only on HTTPS (or localhost), so enrolment will fail there; use an https:// --base or public_url"}
	}
	return nil
}

// hostWarnings warns when the link's host is not one this config serves
// (hosts is empty when the config names none, i.e. every host is served).
func hostWarnings(link string, hosts []string) []string {
	u, err := url.Parse(link)
	if err != nil || len(hosts) == 0 {
		return nil
	}
	h := strings.ToLower(u.Hostname())
	for _, served := range hosts {
		served = strings.ToLower(served)
		if served == h || (strings.HasPrefix(served, "*.") && strings.HasSuffix(h, served[1:]) && !strings.Contains(strings.TrimSuffix(h, served[1:]), ".")) {
			return nil
		}
	}
	slices.Sort(hosts)
	return []string{"this Caddy does not serve " + h + " (it serves " + strings.Join(hosts, ", ") +
		"): the phone will not reach the gate with this link"}
}

func isLocalhost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// servedHosts returns every host named by a host matcher in the running
// config's HTTP servers (their Caddyfile site addresses).
func servedHosts(admin *adminTarget) ([]string, error) {
	var servers json.RawMessage
	if err := adminCall(admin, http.MethodGet, "/config/apps/http/servers", nil, &servers); err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(servers, &tree); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	collectHosts(tree, seen)
	out := make([]string, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	return out, nil
}

// collectHosts walks a JSON config for "host" matchers.
func collectHosts(v any, seen map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if k == "host" {
				if list, ok := child.([]any); ok {
					for _, h := range list {
						if s, ok := h.(string); ok {
							seen[s] = true
						}
					}
					continue
				}
			}
			collectHosts(child, seen)
		}
	case []any:
		for _, child := range t {
			collectHosts(child, seen)
		}
	}
}
