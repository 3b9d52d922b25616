package flow

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestTheIPLimitCountsIPv6ByItsSlash64: starts from forty addresses of
// one IPv6 /64 share one per-IP window, another /64 has its own; IPv4
// counts per address, an IPv4-mapped IPv6 address as its IPv4.
func TestTheIPLimitCountsIPv6ByItsSlash64(t *testing.T) {
	f := newFixture(t, Config{PushesPerIP: 3})
	ctx := context.Background()
	refused := 0
	for i := range 40 {
		_, err := f.svc.Start(ctx, StartRequest{Email: fmt.Sprintf("u%d@example.com", i), ClientIP: fmt.Sprintf("2001:db8:1:2::%x", i+1)})
		var limit *LimitError
		switch {
		case errors.As(err, &limit) && limit.Reason == ReasonRateLimited:
			refused++
		case err != nil:
			t.Fatalf("start %d: %v", i, err)
		}
	}
	if refused != 37 {
		t.Fatalf("%d of 40 starts from one /64 refused, want 37", refused)
	}
	f.start(t, "other@example.com", "2001:db8:1:3::1", "")
	f.start(t, "zone@example.com", "fe80::1%eth0", "")

	for i := range 3 {
		f.start(t, fmt.Sprintf("v%d@example.com", i), "192.0.2.1", "")
	}
	_, err := f.svc.Start(ctx, StartRequest{Email: "mapped@example.com", ClientIP: "::ffff:192.0.2.1"})
	var limit *LimitError
	if !errors.As(err, &limit) || limit.Reason != ReasonRateLimited {
		t.Fatalf("a fourth start from 192.0.2.1 written as IPv4-mapped IPv6: %v", err)
	}
	f.start(t, "next@example.com", "192.0.2.2", "")
}

func TestIPLimitKey(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.7":               "rl:ip:192.0.2.7",
		"::ffff:192.0.2.7":        "rl:ip:192.0.2.7",
		"2001:db8:1:2:3:4:5:6":    "rl:ip:2001:db8:1:2::/64",
		"2001:DB8:1:2::ff":        "rl:ip:2001:db8:1:2::/64",
		"fe80::1%eth0":            "rl:ip:fe80::/64",
		"not an address":          "rl:ip:not an address",
		"2001:db8:1:2:ffff::ffff": "rl:ip:2001:db8:1:2::/64",
		"2001:db8:1:3:0:0:0:1":    "rl:ip:2001:db8:1:3::/64",
	} {
		if got := ipLimitKey(ip); got != want {
			t.Errorf("ipLimitKey(%q) = %q, want %q", ip, got, want)
		}
	}
}
