package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where a run happened.
type machine struct {
	cpus     int
	model    string
	memory   string
	kernel   string
	goVer    string
	caddy    string
	wrk      string
	loadBusy string // /proc/loadavg when the run started
}

// describeMachine gathers what it can; a missing part reads "unknown".
func describeMachine(ctx context.Context, caddyBin, wrkBin string) machine {
	m := machine{
		cpus:     runtime.NumCPU(),
		model:    procField("/proc/cpuinfo", "model name"),
		memory:   memTotal(),
		kernel:   readTrim("/proc/sys/kernel/osrelease"),
		goVer:    runtime.Version(),
		caddy:    caddyVersion(ctx, caddyBin),
		loadBusy: readTrim("/proc/loadavg"),
	}
	// wrk -v prints its version and usage and exits non-zero.
	out, _ := exec.CommandContext(ctx, wrkBin, "-v").CombinedOutput()
	m.wrk, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	if m.wrk == "" {
		m.wrk = "unknown"
	}
	return m
}

// markdown lists the machine as bullet points.
func (m machine) markdown() string {
	return fmt.Sprintf("- CPUs (nproc): %d, model: %s\n- memory: %s\n- kernel: %s\n- Go: %s\n- Caddy: %s\n- load generator: %s\n- load average at start (1, 5, 15 min): %s\n",
		m.cpus, m.model, m.memory, m.kernel, m.goVer, m.caddy, m.wrk, m.loadBusy)
}

// procField returns the value of the first "name : value" line of a
// /proc file.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// memTotal is MemTotal from /proc/meminfo, in GiB.
func memTotal() string {
	v := procField("/proc/meminfo", "MemTotal")
	kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	if err != nil {
		return v
	}
	return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
}

// readTrim is a small file's text without surrounding space.
func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
