package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is wrapped by dial errors for addresses deliveries
// never go to: link-local ranges and cloud metadata services.
var ErrForbiddenAddress = errors.New("webhook: destination address not allowed")

var (
	linkLocal4 = netip.MustParsePrefix("169.254.0.0/16")
	linkLocal6 = netip.MustParsePrefix("fe80::/10")
	metadata   = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack
		netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
		netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	}
)

// checkAddress refuses link-local, multicast, unspecified and cloud
// metadata addresses. Loopback and private ranges are allowed: receivers
// on the same host or network are normal.
func checkAddress(addr netip.Addr) error {
	addr = addr.Unmap().WithZone("") // a zone would keep Prefix.Contains from matching
	for _, m := range metadata {
		if addr == m {
			return fmt.Errorf("%w: %s is a cloud metadata address", ErrForbiddenAddress, addr)
		}
	}
	switch {
	case linkLocal4.Contains(addr), linkLocal6.Contains(addr), addr.IsLinkLocalMulticast():
		return fmt.Errorf("%w: %s is link-local", ErrForbiddenAddress, addr)
	case addr.IsMulticast(), addr.IsUnspecified():
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, addr)
	}
	return nil
}

// dialControl runs after name resolution and before connecting, on the
// address actually dialled, so DNS rebinding cannot slip past it.
func dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrForbiddenAddress, address)
	}
	return checkAddress(ap.Addr())
}

// maxResponseBody bounds how much of a receiver's answer is read, after
// decompression.
const maxResponseBody = 64 << 10

// newClient returns the HTTP client deliveries use: no environment proxy
// (the dial check must see the receiver's own address), a dialer that
// refuses forbidden addresses, and redirects returned, never followed.
func newClient(workers int) *http.Client { return newClientWith(workers, dialControl) }

// newPublicClient is newClient for receivers limited to public
// addresses; it has its own connection pool, so it never reuses a
// connection another client dialled.
func newPublicClient(workers int) *http.Client {
	return newClientWith(workers, newPublicGuard(net.InterfaceAddrs).control)
}

func newClientWith(workers int, control func(network, address string, c syscall.RawConn) error) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: control}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   max(workers, 2),
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
