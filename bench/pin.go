package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
)

// pinning keeps Caddy on CPU 0 and everything else the harness runs (the
// load generator, the upstream, the auth service) on the other CPUs, so
// the measured process does not share its core with the load it serves.
type pinning struct {
	caddyCPUs, otherCPUs string
}

// newPinning pins this process (and so the children it starts) to every
// CPU but the first, and returns how to start Caddy on the first. It
// needs taskset and at least two CPUs.
func newPinning(ctx context.Context) (*pinning, error) {
	n := runtime.NumCPU()
	if n < 2 {
		return nil, fmt.Errorf("-pin needs at least two CPUs, this machine has %d", n)
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return nil, fmt.Errorf("-pin needs taskset (Debian: util-linux): %w", err)
	}
	p := &pinning{caddyCPUs: "0", otherCPUs: "1-" + strconv.Itoa(n-1)}
	if n == 2 {
		p.otherCPUs = "1"
	}
	out, err := exec.CommandContext(ctx, "taskset", "-a", "-p", "-c", p.otherCPUs, strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("pinning the harness to CPUs %s: %w: %s", p.otherCPUs, err, out)
	}
	return p, nil
}

// wrap returns the program and arguments that start bin with args pinned
// to Caddy's CPU (unchanged without pinning).
func (p *pinning) wrap(bin string, args []string) (string, []string) {
	if p == nil {
		return bin, args
	}
	return "taskset", append([]string{"-c", p.caddyCPUs, bin}, args...)
}
