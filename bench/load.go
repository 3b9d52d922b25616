package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// summaryMarker starts the line the wrk script prints when a run ends.
const summaryMarker = "AUTHGATE-BENCH-SUMMARY"

// wrkScript prints the run's totals on one line of key=value pairs, with
// latencies in microseconds as wrk records them.
const wrkScript = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("` + summaryMarker + ` requests=%d duration_us=%d p50_us=%d p99_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
`

// loadResult is what one wrk run measured.
type loadResult struct {
	requests int64
	elapsed  time.Duration
	p50, p99 time.Duration
	// errors counts failed connections, reads, writes and timeouts, and
	// answers that were not 2xx or 3xx.
	errors int64
}

// rps is requests per second over the run.
func (r loadResult) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// loadRun is one wrk invocation.
type loadRun struct {
	wrk     string // wrk's path
	script  string // path of a file holding wrkScript
	url     string
	cookie  string // Cookie header value; empty sends none
	conns   int
	threads int
	length  time.Duration // whole seconds
}

// run loads the URL and returns wrk's summary.
func (l loadRun) run(ctx context.Context) (loadResult, error) {
	args := []string{
		"-t", strconv.Itoa(l.threads), "-c", strconv.Itoa(l.conns),
		"-d", strconv.Itoa(int(l.length/time.Second)) + "s",
		"--timeout", "10s", "-s", l.script,
	}
	if l.cookie != "" {
		args = append(args, "-H", "Cookie: "+l.cookie)
	}
	args = append(args, l.url)
	cmd := exec.CommandContext(ctx, l.wrk, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return loadResult{}, fmt.Errorf("wrk %s: %w\n%s", l.url, err, out.String())
	}
	res, err := parseSummary(out.String())
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk %s: %w\n%s", l.url, err, out.String())
	}
	return res, nil
}

// parseSummary reads the summary line wrkScript prints. Every field must
// be present once, as a non-negative integer; unknown keys are refused so
// that a script and parser out of step are noticed.
func parseSummary(out string) (loadResult, error) {
	var line string
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), summaryMarker+" "); ok {
			if line != "" {
				return loadResult{}, errors.New("more than one summary line")
			}
			line = rest
		}
	}
	if line == "" {
		return loadResult{}, errors.New("no summary line in the output")
	}
	fields := map[string]int64{}
	for _, kv := range strings.Fields(line) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return loadResult{}, fmt.Errorf("summary field %q is not key=value", kv)
		}
		if _, dup := fields[k]; dup {
			return loadResult{}, fmt.Errorf("summary field %q given twice", k)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return loadResult{}, fmt.Errorf("summary field %s=%q is not a non-negative integer", k, v)
		}
		fields[k] = n
	}
	want := []string{"requests", "duration_us", "p50_us", "p99_us", "connect", "read", "write", "status", "timeout"}
	for _, k := range want {
		if _, ok := fields[k]; !ok {
			return loadResult{}, fmt.Errorf("summary lacks %s", k)
		}
	}
	if len(fields) != len(want) {
		return loadResult{}, fmt.Errorf("summary has %d fields, want %d", len(fields), len(want))
	}
	const maxMicros = math.MaxInt64 / int64(time.Microsecond)
	for _, k := range []string{"duration_us", "p50_us", "p99_us"} {
		if fields[k] > maxMicros {
			return loadResult{}, fmt.Errorf("summary field %s=%d is out of range", k, fields[k])
		}
	}
	return loadResult{
		requests: fields["requests"],
		elapsed:  time.Duration(fields["duration_us"]) * time.Microsecond,
		p50:      time.Duration(fields["p50_us"]) * time.Microsecond,
		p99:      time.Duration(fields["p99_us"]) * time.Microsecond,
		errors:   fields["connect"] + fields["read"] + fields["write"] + fields["status"] + fields["timeout"],
	}, nil
}
