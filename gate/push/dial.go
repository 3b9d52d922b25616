package push

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// LookupFunc resolves a host name to addresses (net.DefaultResolver's
// LookupNetIP by default; tests give their own).
type LookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// safeDialer resolves the host itself and connects only to an address
// that passes checkAddr, by IP, so DNS cannot point a name somewhere else
// between the check and the connection.
type safeDialer struct {
	allow  *AllowList
	lookup LookupFunc
	dialer net.Dialer
}

// DialContext dials addr ("host:port") through the address checks.
func (d *safeDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrNotAllowed, addr)
	}
	private := d.allow.allowsPrivate(host, port)
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = d.lookup(ctx, host); err != nil {
		return nil, fmt.Errorf("push: resolving %s: %w", host, err)
	}
	var errs []error
	for _, ip := range ips {
		if err := checkAddr(ip, private); err != nil {
			errs = append(errs, err)
			continue
		}
		conn, err := d.dialer.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("push: %s has no address", host)
	}
	return nil, errors.Join(errs...)
}

// newClient returns the HTTP client pushes use: the safe dialer, no
// environment proxy (the checks must see the push service's own
// address), and redirects returned, never followed.
func newClient(allow *AllowList, lookup LookupFunc, workers int) *http.Client {
	if lookup == nil {
		lookup = defaultLookup
	}
	d := &safeDialer{allow: allow, lookup: lookup, dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   max(workers, 2),
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
