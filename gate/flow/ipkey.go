package flow

import "net/netip"

// ipLimitKey names the per-IP start counter of a client address. An IPv6
// address counts by its /64, the block one host or household is given,
// so stepping through its addresses buys no extra starts; an IPv4
// address, also one written as IPv4-mapped IPv6, counts by itself. A
// value that is no address counts as it is.
func ipLimitKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "rl:ip:" + ip
	}
	a = a.Unmap()
	if a.Is4() {
		return "rl:ip:" + a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return "rl:ip:" + ip
	}
	return "rl:ip:" + p.String()
}
