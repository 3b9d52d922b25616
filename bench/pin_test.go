package main

import (
	"slices"
	"testing"
)

func TestPinningWrapsOnlyWhenPinned(t *testing.T) {
	var none *pinning
	if bin, args := none.wrap("caddy", []string{"run"}); bin != "caddy" || !slices.Equal(args, []string{"run"}) {
		t.Fatalf("unpinned: %s %v", bin, args)
	}
	p := &pinning{caddyCPUs: "0", otherCPUs: "1"}
	if bin, args := p.wrap("caddy", []string{"run", "--config", "x"}); bin != "taskset" || !slices.Equal(args, []string{"-c", "0", "caddy", "run", "--config", "x"}) {
		t.Fatalf("pinned: %s %v", bin, args)
	}
}
