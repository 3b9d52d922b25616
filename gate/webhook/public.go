package webhook

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// notPublic are the ranges of the IANA special-purpose address registries
// (RFC 6890 and its updates) that are not globally reachable, loopback,
// private and shared space among them: a receiver an app registered is
// never dialled there.
var notPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/127", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
		"2001:db8::/32", "2002::/16", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}()

// hostAddrsTTL is how long the host's own addresses are trusted from the
// last look: interfaces change rarely, deliveries are many.
const hostAddrsTTL = 10 * time.Second

// publicGuard refuses, besides what checkAddress refuses, every address
// that is not public, and every address of the host the gate runs on,
// which may be public yet reach services listening on all interfaces.
type publicGuard struct {
	list func() ([]net.Addr, error)

	mu      sync.Mutex
	own     map[netip.Addr]bool
	checked time.Time
}

func newPublicGuard(list func() ([]net.Addr, error)) *publicGuard {
	return &publicGuard{list: list}
}

// control is a net.Dialer Control function: it runs on the address
// actually dialled, after name resolution, so DNS rebinding cannot slip
// past it.
func (g *publicGuard) control(network, address string, c syscall.RawConn) error {
	if err := dialControl(network, address, c); err != nil {
		return err
	}
	ap, _ := netip.ParseAddrPort(address)
	return g.check(ap.Addr())
}

func (g *publicGuard) check(addr netip.Addr) error {
	addr = addr.Unmap().WithZone("")
	for _, p := range notPublic {
		if p.Contains(addr) {
			return fmt.Errorf("%w: %s is not a public address (the receiver was registered by an app)", ErrForbiddenAddress, addr)
		}
	}
	if g.isOwn(addr) {
		return fmt.Errorf("%w: %s is an address of the gate's own host (the receiver was registered by an app)", ErrForbiddenAddress, addr)
	}
	return nil
}

// isOwn reports whether addr is one of the host's interface addresses. If
// they cannot be listed, every address counts as the host's: refusing a
// delivery is safer than aiming it at the host.
func (g *publicGuard) isOwn(addr netip.Addr) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.own == nil || time.Since(g.checked) > hostAddrsTTL {
		addrs, err := g.list()
		if err != nil {
			g.own = nil
			return true
		}
		g.own = map[netip.Addr]bool{}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok {
					g.own[ip.Unmap()] = true
				}
			}
		}
		g.checked = time.Now()
	}
	return g.own[addr]
}
