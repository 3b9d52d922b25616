package push

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// ErrNotAllowed is wrapped by every refusal of an endpoint or an address:
// a host not on the allow-list, or an address pushes never go to.
var ErrNotAllowed = errors.New("push: destination not allowed")

// DefaultServices returns the public push services of the browsers:
// Chrome and most Android browsers (FCM), Firefox (Mozilla autopush),
// Safari and iOS Home Screen apps (Apple), Edge (Windows Push
// Notification Services).
func DefaultServices() []string {
	return []string{
		"fcm.googleapis.com",
		"updates.push.services.mozilla.com",
		"*.push.apple.com",
		"*.notify.windows.com",
	}
}

// AllowList says which push services endpoints may name.
type AllowList struct {
	entries []entry
}

// entry is one allowed host: exact, or every name under a domain
// (wildcard). An operator's exact entry may resolve to loopback or
// private addresses (a self-hosted push service); wildcards and the
// defaults never may, also when the operator lists a default's host
// exactly.
type entry struct {
	scheme   string // "https", or "http" when the operator wrote http://
	host     string // lower case; for a wildcard the domain after "*."
	port     string // "" means the scheme's default
	wildcard bool
	private  bool
}

// NewAllowList parses services: host names ("fcm.googleapis.com"),
// wildcards ("*.push.apple.com"), or origins with a scheme and port
// ("http://ntfy.lan:8080", "https://push.example.com:8443"). A plain name
// means https on port 443. Nil or empty means DefaultServices().
func NewAllowList(services []string) (*AllowList, error) {
	custom := len(services) > 0
	if !custom {
		services = DefaultServices()
	}
	l := &AllowList{}
	for _, s := range services {
		e, err := parseEntry(s)
		if err != nil {
			return nil, err
		}
		e.private = custom && !e.wildcard && !publicService(e.host)
		l.entries = append(l.entries, e)
	}
	return l, nil
}

// publicService reports whether host is one of the browsers' public push
// services (DefaultServices), which are never on a private address.
func publicService(host string) bool {
	for _, s := range DefaultServices() {
		if d, ok := strings.CutPrefix(s, "*."); ok {
			if strings.HasSuffix(host, "."+d) {
				return true
			}
		} else if host == s {
			return true
		}
	}
	return false
}

func parseEntry(s string) (entry, error) {
	raw := strings.ToLower(strings.TrimSpace(s))
	e := entry{scheme: "https"}
	if i := strings.Index(raw, "://"); i >= 0 {
		e.scheme, raw = raw[:i], raw[i+3:]
		if e.scheme != "https" && e.scheme != "http" {
			return e, fmt.Errorf("push service %q: scheme must be https or http", s)
		}
	}
	raw = strings.TrimSuffix(raw, "/")
	host := raw
	if h, p, err := net.SplitHostPort(raw); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return e, fmt.Errorf("push service %q: bad port", s)
		}
		host, e.port = h, p
	}
	if strings.HasPrefix(host, "*.") {
		e.wildcard, host = true, host[2:]
	}
	if host == "" || strings.ContainsAny(host, "/?#@*[] ") {
		return e, fmt.Errorf("push service %q: want a host name, *.domain, or scheme://host:port", s)
	}
	if e.wildcard && !strings.Contains(host, ".") {
		return e, fmt.Errorf("push service %q: a wildcard needs a domain with a dot", s)
	}
	e.host = host
	return e, nil
}

// match returns the entry that allows scheme, host and port, if any.
func (l *AllowList) match(scheme, host, port string) (entry, bool) {
	for _, e := range l.entries {
		if e.scheme != scheme {
			continue
		}
		want := e.port
		if want == "" {
			want = map[string]string{"https": "443", "http": "80"}[scheme]
		}
		if port != want {
			continue
		}
		if e.wildcard && strings.HasSuffix(host, "."+e.host) || !e.wildcard && host == e.host {
			return e, true
		}
	}
	return entry{}, false
}

// CheckEndpoint parses a subscription endpoint and refuses it unless it
// is an absolute URL on an allowed push service, without user info, and
// not naming an address pushes never go to.
func (l *AllowList) CheckEndpoint(endpoint string) (*url.URL, error) {
	if len(endpoint) > 2048 {
		return nil, fmt.Errorf("%w: endpoint longer than 2048 bytes", ErrNotAllowed)
	}
	u, err := url.Parse(endpoint)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: endpoint is not an absolute URL", ErrNotAllowed)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: endpoint carries user info", ErrNotAllowed)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	e, ok := l.match(u.Scheme, strings.TrimSuffix(host, "."), port)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an allowed push service", ErrNotAllowed, u.Host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := checkAddr(ip, e.private); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// allowsPrivate reports whether the dial to host:port may reach loopback
// or private addresses: only for an operator's exact entry.
func (l *AllowList) allowsPrivate(host, port string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, e := range l.entries {
		if e.private && e.host == host && (e.port == "" || e.port == port) {
			return true
		}
	}
	return false
}

var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// Ranges that are private in effect though netip does not say so: the
// shared address space (RFC 6598), "this network" (0/8, which Linux
// routes to the host itself), benchmarking (RFC 2544) and reserved space.
var (
	privateish = []netip.Prefix{
		netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("0.0.0.0/8"),
		netip.MustParsePrefix("198.18.0.0/15"),
		netip.MustParsePrefix("240.0.0.0/4"),
	}
	// nat64 embeds an IPv4 address in IPv6 (RFC 6052); that address is
	// the one checked.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
)

// checkAddr refuses metadata, link-local, multicast and unspecified
// addresses always, and loopback and private ones unless private is set.
func checkAddr(ip netip.Addr, private bool) error {
	ip = ip.Unmap().WithZone("")
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	for _, m := range metadataAddrs {
		if ip == m {
			return fmt.Errorf("%w: %s is a cloud metadata address", ErrNotAllowed, ip)
		}
	}
	switch {
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsMulticast(), ip.IsUnspecified(), !ip.IsValid():
		return fmt.Errorf("%w: %s is link-local, multicast or unspecified", ErrNotAllowed, ip)
	case !private && (ip.IsLoopback() || ip.IsPrivate() || inAny(privateish, ip)):
		return fmt.Errorf("%w: %s is a loopback or private address", ErrNotAllowed, ip)
	}
	return nil
}

func inAny(prefixes []netip.Prefix, ip netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
